# The mock of OpenAI's image and video APIs (Test::AIGW::Mock::Media) answers what it says it
# answers, so that its shapes cannot rot silently: images generated, edited and varied in each
# model family's shape (GPT image models with their usage, dall-e with urls), valid PNGs, streams
# event by event; multipart bodies parsed for real, the uploaded files recorded byte for byte;
# video jobs that move from queued to in_progress to completed (or failed) with time, their bytes
# and SHA-256, the list and its pages, remix, deletion; OpenAI's errors and headers; a mock that
# fails its first polls and takes one key only; the callback receiver failing, then accepting.
# Then the official `openai` SDK against the mock itself (t/sdk/media-mock-smoke.mjs), when it is
# installed, and what the mock recorded of it.
#
# Ports (loopback, fixed):
#   2150  the mock, defaults (media_mock_start: a server forked from this file)
#   2151  the mock with one key, fail_polls 2, quick jobs, 100 000 bytes of content
#   2152  the callback receiver (callback_receiver_start, fail_first 2)
#   2153  the mock for the SDK (its key, jobs queued 0.5 s then 0.6 s in progress)
#   2154  the mock for the SDK's retries (its key, fail_polls 2)

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/lib";

use Compress::Zlib ();
use Digest::SHA qw(sha256_hex);
use File::Temp ();
use JSON::PP ();
use MIME::Base64 qw(decode_base64);
use Test::More;
use Time::HiRes qw(sleep time);

use Test::AIGW::HTTP qw(http_raw http_request_text http_dechunk tcp_server_stop);
use Test::AIGW::Mock::Media qw(:all);
use Test::AIGW::SDK qw(sdk_missing sdk_tap);

my ($MOCK, $KEYED, $CALLBACK, $SDK, $SDK_RETRY) = (2150 .. 2154);
my $Json = JSON::PP->new->utf8;
my $Dir = File::Temp->newdir('aigw-media-mock-XXXXXX', TMPDIR => 1);
mkdir "$Dir/$_" or die "mkdir $Dir/$_: $!" for qw(state keyed sdk sdk-retry);
my $Log = "$Dir/requests.jsonl";
my $Key = 'sk-aigw-mock-exact-key-0001';

my @pids;
END { local $?; tcp_server_stop($_) for grep { $_ } @pids }
push @pids, media_mock_start($MOCK, log => $Log, state => "$Dir/state");
push @pids, media_mock_start($KEYED, log => "$Dir/keyed.jsonl", state => "$Dir/keyed", key => $Key, fail_polls => 2,
                             queued_s => 0, run_s => 0.2, content_bytes => 100_000, gap => 0);

# One request to $port: `path`, `method`, `body`, `type` (its Content-Type), `headers` ([name,
# value]), the Authorization of `key` (default $MediaKey) unless `no_auth`. The answer as
# {status, h, head, body, json, raw}: chunked bodies unframed, JSON decoded when it is JSON and not
# large (JSON::PP takes seconds over megabytes).
sub ask {
    my ($port, %o) = @_;
    my @h = $o{no_auth} ? () : (['Authorization', 'Bearer ' . ($o{key} // $MediaKey)]);
    push @h, ['Content-Type', $o{type}] if $o{type};
    push @h, @{ $o{headers} || [] };
    my ($raw) = http_raw($port, $o{text} // http_request_text(method => $o{method}, path => $o{path}, body => $o{body},
                                                              headers => \@h), timeout => 10);
    my ($head, $body) = split /\r\n\r\n/, $raw, 2;
    $head //= '';
    my %h;
    for (split /\r\n/, $head) { $h{ lc $1 } = $2 if /^([^:\s]+):[ \t]*(.*?)[ \t]*\z/ }
    $body //= '';
    $body = http_dechunk($body) if ($h{'transfer-encoding'} // '') =~ /chunked/i;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d{3}) };
    my $json = ($h{'content-type'} // '') =~ m{^application/json} && length $body < 200_000 ? eval { $Json->decode($body) } : undef;
    return { status => $status // 0, h => \%h, head => $head, body => $body, json => $json, raw => $raw };
}
sub post { my ($port, $path, $body, %o) = @_; return ask($port, path => $path, body => $body, %o) }

# The size of a valid PNG ("WxH"): its signature, every chunk's CRC, IHDR first, IEND last, and
# IDAT inflating to exactly its scanlines; undef for anything else.
sub png_size {
    my ($png) = @_;
    return undef unless defined $png && substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n";
    my ($pos, $idat, @types, $w, $h, $colour) = (8, '');
    while ($pos + 12 <= length $png) {
        my ($len, $type) = unpack 'Na4', substr($png, $pos, 8);
        my $data = substr($png, $pos + 8, $len);
        return undef unless unpack('N', substr($png, $pos + 8 + $len, 4)) == Compress::Zlib::crc32($type . $data);
        push @types, $type;
        ($w, $h, undef, $colour) = unpack 'NNCC', $data if $type eq 'IHDR';
        $idat .= $data if $type eq 'IDAT';
        $pos += 12 + $len;
    }
    return undef unless $pos == length $png && @types && $types[0] eq 'IHDR' && $types[-1] eq 'IEND';
    my $rows = Compress::Zlib::uncompress($idat);
    my $bpp = { 2 => 3, 6 => 4 }->{$colour} or return undef;
    return defined $rows && length $rows == $h * (1 + $w * $bpp) ? "${w}x$h" : undef;
}

# The events of a stream: [name, decoded data], undef for one that is not `event: NAME\ndata: JSON`.
sub events {
    my ($body) = @_;
    return map { /\Aevent: ([a-z_.]+)\ndata: (\{[^\n]*\})\z/ ? [$1, scalar eval { $Json->decode($2) }] : undef }
           split /\n\n/, $body;
}

# What every answer carries, as api.openai.com sends it.
sub openai_headers {
    my ($r, $what) = @_;
    like($r->{h}{'x-request-id'} // '', qr/\Areq_[0-9a-f]{32}\z/, "$what: x-request-id req_ and 32 hex");
    like($r->{h}{'openai-processing-ms'} // '', qr/\A\d+\z/, "$what: openai-processing-ms");
    is($r->{h}{'openai-version'}, '2020-10-01', "$what: openai-version");
}

sub error_is {
    my ($r, $status, $type, $param, $code, $what) = @_;
    is($r->{status}, $status, "$what: $status");
    is_deeply([map { $r->{json}{error}{$_} } qw(type param code)], [$type, $param, $code], "$what: type, param, code");
    like($r->{body}, qr/\A\{\n  "error": \{\n    "message": "[^\n]+",\n    "type": /, "$what: OpenAI's error, pretty-printed");
}

# The members of an object in the order of its text (top level only).
sub top_keys { my ($body) = @_; return [$body =~ /^  "([a-z_]+)":/mg] }

my $Prompt = 'A mock otter';      # 12 bytes, 3 text tokens

# ---------------------------------------------------------------------------
# Keys

my $none = ask($MOCK, path => '/v1/videos', no_auth => 1);
error_is($none, 401, 'invalid_request_error', undef, undef, 'no Authorization');
like($none->{json}{error}{message}, qr/\AYou didn't provide an API key\./, 'no Authorization: OpenAI\'s words');
openai_headers($none, 'an error');
is(ask($MOCK, path => '/v1/videos', no_auth => 1, headers => [['Authorization', 'Basic eDp5']])->{status}, 401,
   'Authorization without Bearer: 401');
is(ask($MOCK, path => '/v1/videos', key => 'anything')->{status}, 200, 'any Bearer key when the mock has none of its own');
my $wrong = ask($KEYED, path => '/v1/videos', key => 'sk-aigw-wrong-key-9876');
error_is($wrong, 401, 'invalid_request_error', undef, 'invalid_api_key', 'a mock with key => KEY, another key');
like($wrong->{json}{error}{message}, qr/\AIncorrect API key provided: sk-aigw-\*{5}9876\. /, '... the key masked as OpenAI masks it');
is(ask($KEYED, path => '/v1/videos', key => $Key)->{status}, 200, '... and that key: 200');
my $invalid = ask($MOCK, path => '/v1/files');
error_is($invalid, 404, 'invalid_request_error', undef, undef, 'anything else');
is($invalid->{json}{error}{message}, 'Invalid URL (GET /v1/files)', 'anything else: Invalid URL (METHOD PATH)');

# ---------------------------------------------------------------------------
# Images generated

my $gen = post($MOCK, '/v1/images/generations',
               qq({"model":"gpt-image-1","prompt":"$Prompt","n":2,"size":"1024x1536","quality":"high"}));
is($gen->{status}, 200, 'gpt-image-1: 200');
is($gen->{h}{'content-type'}, 'application/json', 'gpt-image-1: application/json');
is($gen->{h}{'content-length'}, length $gen->{body}, 'gpt-image-1: Content-Length');
openai_headers($gen, 'gpt-image-1');
is_deeply(top_keys($gen->{body}), [qw(created background data output_format quality size usage)],
          'gpt-image-1: the members in OpenAI\'s order');
like($gen->{body}, qr/\A\{\n  "created": \d+,\n  "background": "opaque",\n  "data": \[\n    \{\n      "b64_json": "/,
     'gpt-image-1: pretty-printed, two spaces');
ok(abs($gen->{json}{created} - time) < 5, 'gpt-image-1: created is now');
is_deeply([map { [keys %$_] } @{ $gen->{json}{data} }], [['b64_json'], ['b64_json']], 'gpt-image-1 n=2: two images, b64_json only');
is_deeply([map { decode_base64($_->{b64_json}) } @{ $gen->{json}{data} }], [media_png(0), media_png(1)],
          'gpt-image-1: the images are media_png(0) and media_png(1)');
is_deeply([map { png_size(decode_base64($_->{b64_json})) } @{ $gen->{json}{data} }], ['16x16', '16x16'], '... valid PNGs');
isnt(media_png(0), media_png(1), '... which differ');
is_deeply([@{ $gen->{json} }{qw(background output_format quality size)}], ['opaque', 'png', 'high', '1024x1536'],
          'gpt-image-1: background, output_format, quality, size');
is_deeply($gen->{json}{usage}, { input_tokens => 3, input_tokens_details => { image_tokens => 0, text_tokens => 3 },
                                 output_tokens => 2 * 6240, total_tokens => 3 + 2 * 6240 },
          'gpt-image-1: usage, 6240 output tokens an image of high 1024x1536');
is_deeply(media_image_usage(prompt => $Prompt, n => 2, size => '1024x1536', quality => 'high'), $gen->{json}{usage},
          'media_image_usage says the same');

my $mini = post($MOCK, '/v1/images/generations', qq({"model":"gpt-image-1-mini","prompt":"caf\xc3\xa9 \xe2\x9c\x93 $Prompt",)
                                                 . '"quality":"auto","size":"auto","background":"transparent","output_format":"webp"}');
is_deeply([@{ $mini->{json} }{qw(background output_format quality size)}], ['transparent', 'webp', 'medium', '1024x1024'],
          'gpt-image-1-mini: auto is medium and 1024x1024; background and output_format as asked');
is_deeply([@{ $mini->{json}{usage} }{qw(output_tokens)}, $mini->{json}{usage}{input_tokens_details}{text_tokens}], [1056, 6],
          'gpt-image-1-mini: 1056 output tokens; text tokens are UTF-8 bytes / 4, rounded up (21 bytes: 6)');

my $dalle3 = post($MOCK, '/v1/images/generations', qq({"model":"dall-e-3","prompt":"$Prompt"}));
is_deeply(top_keys($dalle3->{body}), [qw(created data)], 'dall-e-3: created and data only, no usage');
is_deeply([sort keys %{ $dalle3->{json}{data}[0] }], [sort qw(revised_prompt url)], 'dall-e-3: url (the default) and revised_prompt');
like($dalle3->{body}, qr/"revised_prompt": "\Q$Prompt\E[^"]*",\n      "url": "https:/, 'dall-e-3: revised_prompt, then url');
like($dalle3->{json}{data}[0]{url}, qr{\Ahttps://[^/]+\.blob\.core\.windows\.net/private/.+\.png\?.*sig=}, 'dall-e-3: a blob url');
my $dalle3b = post($MOCK, '/v1/images/generations', qq({"model":"dall-e-3","prompt":"$Prompt","response_format":"b64_json"}));
is(png_size(decode_base64($dalle3b->{json}{data}[0]{b64_json} // '')), '16x16', 'dall-e-3 response_format b64_json: the image');
ok(!exists $dalle3b->{json}{data}[0]{url}, '... and no url');
my $dalle2 = post($MOCK, '/v1/images/generations', qq({"prompt":"$Prompt","n":3,"size":"512x512"}));
is_deeply([map { [keys %$_] } @{ $dalle2->{json}{data} }], [['url'], ['url'], ['url']],
          'no model: dall-e-2, n=3 urls without revised_prompt');
is_deeply(top_keys(post($MOCK, '/v1/images/generations', qq({"prompt":"$Prompt","output_format":"jpeg"}))->{body}),
          [qw(created background data output_format quality size usage)], 'no model but output_format: gpt-image-1');

# Streams
my $stream = post($MOCK, '/v1/images/generations', qq({"model":"gpt-image-1","prompt":"$Prompt","stream":true,"partial_images":2}));
is($stream->{status}, 200, 'stream: 200');
is($stream->{h}{'content-type'}, 'text/event-stream; charset=utf-8', 'stream: text/event-stream');
is($stream->{h}{'transfer-encoding'}, 'chunked', 'stream: chunked');
openai_headers($stream, 'stream');
my @ev = events($stream->{body});
ok(@ev && !grep({ !defined $_ || $_->[1]{type} ne $_->[0] } @ev), 'stream: every event is `event: NAME` then `data: JSON` whose type is NAME');
is_deeply([map { $_->[0] } @ev], [('image_generation.partial_image') x 2, 'image_generation.completed'], 'stream: two partial images, then completed');
like($stream->{body}, qr/\Aevent:\ image_generation.partial_image\ndata:\ \{"type":"image_generation.partial_image","b64_json":"[^"]+",
                         "created_at":\d+,"size":"1024x1024","quality":"medium","background":"opaque","output_format":"png",
                         "partial_image_index":0\}\n\n/x, 'stream: a partial image\'s members in order, compact');
is_deeply([map { $_->[1]{partial_image_index} } @ev], [0, 1, undef], 'stream: partial_image_index 0, 1');
is_deeply([map { decode_base64($_->[1]{b64_json}) } @ev], [media_png('partial-0'), media_png('partial-1'), media_png(0)],
          'stream: the partial images, then the image');
is_deeply([sort keys %{ $ev[-1][1] }], [sort qw(type b64_json created_at size quality background output_format usage)],
          'stream: completed has the image and the usage');
is($ev[-1][1]{usage}{output_tokens}, 1056 + 2 * $PartialImageTokens, 'stream: usage counts 100 output tokens a partial image');
unlike($stream->{body}, qr/\[DONE\]/, 'stream: no [DONE]');
my @sizes;
{
    my ($framed) = (split /\r\n\r\n/, $stream->{raw}, 2)[1];
    while ($framed =~ s/\A([0-9a-f]+)\r\n//) { push @sizes, hex $1; $framed = substr $framed, $sizes[-1] + 2 }
}
is_deeply(\@sizes, [(map { length } $stream->{body} =~ /(event: .*?\n\n)/gs), 0], 'stream: one chunk an event, then the last chunk');
is_deeply([map { $_->[0] } events(post($MOCK, '/v1/images/generations',
                                       qq({"model":"gpt-image-1","prompt":"$Prompt","stream":true}))->{body})],
          ['image_generation.completed'], 'stream, partial_images 0: completed only');

# Large bodies: image-big
{
    my $t0 = time;
    my $big = post($MOCK, '/v1/images/generations', qq({"model":"image-big","prompt":"$Prompt"}));
    is($big->{status}, 200, 'image-big: 200');
    ok(length $big->{body} > 3_000_000, 'image-big: a body of more than 3 MB') or diag(length $big->{body});
    is($big->{h}{'content-length'}, length $big->{body}, 'image-big: Content-Length');
    my ($b64) = $big->{body} =~ /"b64_json": "([^"]+)"/;
    is(png_size(decode_base64($b64 // '')), '1024x768', 'image-big: one valid PNG of 1024x768');
    like($big->{body}, qr/"size": "1536x1024",\n  "usage": \{\n    "input_tokens": 3,/, 'image-big: size and usage after it');
    ok(time - $t0 < 3, 'image-big: under 3 s') or diag(time - $t0);
}

# Errors
my $e500 = post($MOCK, '/v1/images/generations', qq({"model":"image-500","prompt":"$Prompt"}));
error_is($e500, 500, 'server_error', undef, undef, 'image-500');
is($e500->{body}, $ErrorJson{'image-500'}, 'image-500: %ErrorJson\'s body');
my $e429 = post($MOCK, '/v1/images/generations', qq({"model":"image-429","prompt":"$Prompt"}));
error_is($e429, 429, 'requests', undef, 'rate_limit_exceeded', 'image-429');
is($e429->{h}{'retry-after'}, $RetryAfter, 'image-429: retry-after');
my $e400 = post($MOCK, '/v1/images/generations', qq({"model":"image-400","prompt":"$Prompt"}));
error_is($e400, 400, 'invalid_request_error', 'quality', 'invalid_value', 'image-400');
error_is(post($MOCK, '/v1/images/generations', qq({"model":"gpt-image-1","prompt":"$Prompt","size":"999x999"})),
         400, 'invalid_request_error', 'size', 'invalid_value', 'a size the model does not have');
error_is(post($MOCK, '/v1/images/generations', qq({"model":"dall-e-3","prompt":"$Prompt","size":"256x256"})),
         400, 'invalid_request_error', 'size', 'invalid_value', 'dall-e-3 at a size of dall-e-2');
error_is(post($MOCK, '/v1/images/generations', qq({"model":"gpt-image-1","prompt":"$Prompt","n":11})),
         400, 'invalid_request_error', 'n', 'integer_above_max_value', 'n=11');
error_is(post($MOCK, '/v1/images/generations', qq({"model":"dall-e-3","prompt":"$Prompt","n":2})),
         400, 'invalid_request_error', 'n', 'integer_above_max_value', 'dall-e-3 n=2');
error_is(post($MOCK, '/v1/images/generations', qq({"model":"dall-e-3","prompt":"$Prompt","stream":true})),
         400, 'invalid_request_error', 'stream', 'unsupported_value', 'dall-e-3 stream');
error_is(post($MOCK, '/v1/images/generations', qq({"model":"gpt-image-1"})),
         400, 'invalid_request_error', 'prompt', 'missing_required_parameter', 'no prompt');
error_is(post($MOCK, '/v1/images/generations', '{"model":'), 400, 'invalid_request_error', undef, undef, 'a body that is not JSON');

# ---------------------------------------------------------------------------
# Images edited and varied: multipart

# A file with bytes a multipart parser could trip on: CR LF, dashes, the start of the boundary.
my $Upload = "\x89PNG\r\n\x1a\n\r\n--\r\n--" . substr($Boundary, 0, 12) . "\0\xff"
           . join('', map { chr(($_ * 7 + 3) % 256) } 0 .. 149_999) . "\r\n";
my $UploadSha = sha256_hex($Upload);
my @edit_fields = ({ name => 'model', value => 'gpt-image-1' }, { name => 'prompt', value => "caf\xc3\xa9 \xe2\x9c\x93" },
                   { name => 'n', value => '1' }, { name => 'size', value => '1536x1024' }, { name => 'quality', value => 'low' });
my ($type, $body) = multipart_body({ name => 'image', filename => 'otter.png', type => 'image/png', value => $Upload },
                                   { name => 'mask', filename => 'mask.png', type => 'image/png', value => media_png('mask') },
                                   @edit_fields);
my $before = () = media_mock_log($Log);
my $edit = post($MOCK, '/v1/images/edits', $body, type => $type);
is($edit->{status}, 200, 'edit: 200');
openai_headers($edit, 'edit');
is_deeply(top_keys($edit->{body}), [qw(created background data output_format quality size usage)], 'edit (gpt-image-1): a generation\'s shape');
is_deeply($edit->{json}{usage}, { input_tokens => 3 + $InputImageTokens,
                                  input_tokens_details => { image_tokens => $InputImageTokens, text_tokens => 3 },
                                  output_tokens => 400, total_tokens => 3 + $InputImageTokens + 400 },
          'edit: usage counts the input image (not the mask), low 1536x1024 is 400 output tokens');
my ($rec) = (media_mock_log($Log, min => $before + 1))[$before];
is_deeply($rec->{parts}, [
    { name => 'image', filename => 'otter.png', content_type => 'image/png', length => length $Upload, sha256 => $UploadSha },
    { name => 'mask', filename => 'mask.png', content_type => 'image/png', length => length media_png('mask'),
      sha256 => sha256_hex(media_png('mask')) },
    map { { name => $_->{name}, filename => undef, content_type => undef, length => length $_->{value},
            sha256 => sha256_hex($_->{value}), value => $_->{value} } } @edit_fields,
], 'the log: each part\'s name, filename, content type, length and SHA-256 (the file byte for byte), a field\'s value');
is_deeply([@$rec{qw(method path status body_length)}], ['POST', '/v1/images/edits', 200, length $body],
          'the log: method, path, status answered, body length');
is($rec->{body}, $body, 'the log: the body, byte for byte');
is($rec->{body_sha256}, sha256_hex($body), 'the log: the body\'s SHA-256');

($type, $body) = multipart_body((map { { name => 'image[]', filename => "img$_.png", type => 'image/png', value => media_png($_) } } 0 .. 2),
                                { name => 'prompt', value => $Prompt }, { name => 'model', value => 'gpt-image-1.5' });
is(post($MOCK, '/v1/images/edits', $body, type => $type)->{json}{usage}{input_tokens_details}{image_tokens}, 3 * $InputImageTokens,
   'edit with three image[] parts: three input images');
($type, $body) = multipart_body({ name => 'image', filename => 'a.png', type => 'image/png', value => media_png(0) },
                                { name => 'prompt', value => $Prompt });
is_deeply([@{ post($MOCK, '/v1/images/edits', $body, type => $type)->{json} }{qw(quality size)}], ['medium', '1024x1024'],
          'edit without a model: gpt-image-1.5, a GPT image model');
($type, $body) = multipart_body({ name => 'image', filename => 'a.png', type => 'image/png', value => media_png(0) },
                                { name => 'prompt', value => $Prompt }, { name => 'model', value => 'dall-e-2' },
                                { name => 'response_format', value => 'b64_json' });
my $edit2 = post($MOCK, '/v1/images/edits', $body, type => $type);
is_deeply([top_keys($edit2->{body}), [keys %{ $edit2->{json}{data}[0] }]], [[qw(created data)], ['b64_json']],
          'edit with dall-e-2, response_format b64_json: no usage');

# The edit's stream, its request body chunked (as the SDK streams multipart bodies).
($type, $body) = multipart_body({ name => 'image', filename => 'otter.png', type => 'image/png', value => $Upload },
                                { name => 'prompt', value => $Prompt }, { name => 'model', value => 'gpt-image-1' },
                                { name => 'stream', value => 'true' }, { name => 'partial_images', value => '1' });
my $chunked = join '', map { sprintf("%x\r\n%s\r\n", length $_, $_) } unpack '(a40000)*', $body;
my $es = ask($MOCK, text => "POST /v1/images/edits HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer $MediaKey\r\n"
                          . "Content-Type: $type\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}0\r\n\r\n");
is_deeply([map { $_->[0] } events($es->{body})], ['image_edit.partial_image', 'image_edit.completed'],
          'edit stream (a chunked request body): image_edit.partial_image, then image_edit.completed');
is((events($es->{body}))[-1][1]{usage}{input_tokens_details}{image_tokens}, $InputImageTokens, 'edit stream: usage with the input image');
my ($srec) = grep { $_->{path} eq '/v1/images/edits' && ($_->{header}{'transfer-encoding'} // '') eq 'chunked' } media_mock_log($Log);
is($srec && $srec->{parts}[0]{sha256}, $UploadSha, 'the log: the chunked body unframed, the file byte for byte');

($type, $body) = multipart_body({ name => 'prompt', value => $Prompt }, { name => 'model', value => 'gpt-image-1' });
error_is(post($MOCK, '/v1/images/edits', $body, type => $type), 400, 'invalid_request_error', 'image', 'missing_required_parameter',
         'edit without an image file');
error_is(post($MOCK, '/v1/images/edits', qq({"prompt":"$Prompt"})), 400, 'invalid_request_error', undef, undef, 'edit in JSON');

($type, $body) = multipart_body({ name => 'image', filename => 'otter.png', type => 'image/png', value => $Upload },
                                { name => 'n', value => '2' });
my $var = post($MOCK, '/v1/images/variations', $body, type => $type);
is_deeply([map { [keys %$_] } @{ $var->{json}{data} }], [['url'], ['url']], 'variations: dall-e-2, n=2 urls');
($type, $body) = multipart_body({ name => 'n', value => '2' });
error_is(post($MOCK, '/v1/images/variations', $body, type => $type), 400, 'invalid_request_error', 'image',
         'missing_required_parameter', 'variations without an image');

# ---------------------------------------------------------------------------
# Videos: a job with time

my $t0 = time;
my $created = post($MOCK, '/v1/videos', qq({"prompt":"$Prompt"}));
my $v = $created->{json};
is($created->{status}, 200, 'create: 200');
openai_headers($created, 'create');
is_deeply(top_keys($created->{body}), [qw(id object created_at status completed_at error expires_at model progress prompt
                                          remixed_from_video_id seconds size)], 'a video: the members in OpenAI\'s order');
like($v->{id}, qr/\Avideo_[0-9a-f]{48}\z/, 'a video: id video_ and 48 hex');
is(substr($v->{id}, 6, 8), sprintf('%08x', $v->{created_at}), 'a video: the id starts with created_at in hex, as OpenAI\'s do');
is_deeply({ map { ($_ => $v->{$_}) } qw(object status completed_at error expires_at model progress prompt remixed_from_video_id seconds size) },
          { object => 'video', status => 'queued', completed_at => undef, error => undef, expires_at => undef, model => 'sora-2',
            progress => 0, prompt => $Prompt, remixed_from_video_id => undef, seconds => '4', size => '720x1280' },
          'create: queued, sora-2, "4" seconds, 720x1280 by default');
my $early = ask($MOCK, path => "/v1/videos/$v->{id}/content");
error_is($early, 404, 'invalid_request_error', undef, undef, 'content of a queued job');
is($early->{json}{error}{message}, $NotReadyMessage, 'content of a queued job: not ready yet');

my (@seen, @progress, $last);
while (time - $t0 < 5) {
    $last = ask($MOCK, path => "/v1/videos/$v->{id}")->{json};
    push @seen, $last->{status} unless @seen && $seen[-1] eq $last->{status};
    push @progress, $last->{progress};
    last if $last->{status} eq 'completed';
    sleep 0.05;
}
is_deeply(\@seen, [qw(queued in_progress completed)], 'the job: queued, in_progress, completed');
ok(!grep({ $progress[$_] < $progress[$_ - 1] } 1 .. $#progress), 'progress never goes down');
ok((grep { $_ > 0 && $_ < 100 } @progress), 'progress between 0 and 100 while in progress');
ok(time - $t0 >= $QueuedSeconds + $RunSeconds - 0.05, "completed after queued_s + run_s (${QueuedSeconds} + ${RunSeconds} s)");
is_deeply([@$last{qw(progress error)}, $last->{expires_at} - $last->{completed_at}], [100, undef, $ExpiresAfter],
          'completed: progress 100, expires_at = completed_at + 86400');
ok($last->{completed_at} >= $last->{created_at} && $last->{completed_at} <= $last->{created_at} + 2, 'completed_at after created_at');

my $content = ask($MOCK, path => "/v1/videos/$v->{id}/content");
is($content->{status}, 200, 'content: 200');
is($content->{h}{'content-type'}, 'video/mp4', 'content: video/mp4');
is($content->{h}{'content-length'}, $ContentBytes, 'content: Content-Length of content_bytes (2 MiB)');
is(length $content->{body}, $ContentBytes, 'content: all of it');
is(sha256_hex($content->{body}), $content->{h}{'x-mock-sha256'}, 'content: the bytes have the SHA-256 of x-mock-sha256');
ok($content->{body} eq media_content($v->{id}, 'video', $ContentBytes), 'content: media_content(ID, video, LENGTH)');
is(substr($content->{body}, 4, 8), 'ftypisom', 'content: an MP4\'s ftyp box first');
openai_headers($content, 'content');
for my $variant (qw(video thumbnail spritesheet)) {
    my $r = ask($MOCK, path => "/v1/videos/$v->{id}/content?variant=$variant");
    my $length = $variant eq 'video' ? $ContentBytes : $VariantBytes{$variant};
    is_deeply([$r->{status}, $r->{h}{'content-type'}, length $r->{body}, sha256_hex($r->{body})],
              [200, $ContentType{$variant}, $length, $r->{h}{'x-mock-sha256'}], "variant=$variant: $ContentType{$variant}, its bytes");
}
like(ask($MOCK, path => "/v1/videos/$v->{id}/content?variant=thumbnail")->{body}, qr/\ARIFF....WEBPVP8 /s, 'thumbnail: a WebP head');
like(ask($MOCK, path => "/v1/videos/$v->{id}/content?variant=spritesheet")->{body}, qr/\A\xff\xd8\xff\xe0/, 'spritesheet: a JPEG head');
error_is(ask($MOCK, path => "/v1/videos/$v->{id}/content?variant=poster"), 400, 'invalid_request_error', 'variant', 'invalid_value',
         'an unknown variant');

# Created from a multipart body, with a file.
($type, $body) = multipart_body({ name => 'prompt', value => "A mock otter \xe2\x9c\x93" }, { name => 'model', value => 'sora-2-pro' },
                                { name => 'seconds', value => '8' }, { name => 'size', value => '1280x720' },
                                { name => 'input_reference', filename => 'ref.png', type => 'image/png', value => $Upload });
$before = () = media_mock_log($Log);
my $mp = post($MOCK, '/v1/videos', $body, type => $type)->{json};
is_deeply([@$mp{qw(status model seconds size prompt)}], ['queued', 'sora-2-pro', '8', '1280x720', "A mock otter \x{2713}"],
          'create from multipart: model, seconds, size, prompt (UTF-8)');
my ($mrec) = (media_mock_log($Log, min => $before + 1))[$before];
my ($ref) = grep { $_->{name} eq 'input_reference' } @{ $mrec->{parts} || [] };
is_deeply($ref && [@$ref{qw(filename content_type length sha256)}], ['ref.png', 'image/png', length $Upload, $UploadSha],
          'the log: the input_reference file byte for byte');

# Failed jobs
my $tf = time;
my $fail = post($MOCK, '/v1/videos', qq({"model":"sora-fail","prompt":"$Prompt"}))->{json};
my $fail2 = post($MOCK, '/v1/videos', '{"prompt":"please FAIL this one","seconds":"12","size":"1792x1024"}')->{json};

# Checks of what is asked
error_is(post($MOCK, '/v1/videos', '{"prompt":"x","seconds":8}'), 400, 'invalid_request_error', 'seconds', 'invalid_type',
         'seconds as a number');
my $secs = post($MOCK, '/v1/videos', '{"prompt":"x","seconds":"5"}');
error_is($secs, 400, 'invalid_request_error', 'seconds', 'invalid_value', 'seconds "5"');
is($secs->{json}{error}{message}, q(Invalid value: '5'. Supported values are: '4', '8', and '12'.), 'seconds "5": OpenAI\'s words');
error_is(post($MOCK, '/v1/videos', '{"prompt":"x","size":"1920x1080"}'), 400, 'invalid_request_error', 'size', 'invalid_value',
         'a size Sora does not make');
error_is(post($MOCK, '/v1/videos', '{"model":"sora-2"}'), 400, 'invalid_request_error', 'prompt', 'missing_required_parameter',
         'no prompt');

# Remix
my $remix = post($MOCK, "/v1/videos/$v->{id}/remix", '{"prompt":"The otter, at night"}');
is($remix->{status}, 200, 'remix: 200');
is_deeply([@{ $remix->{json} }{qw(status remixed_from_video_id model seconds size prompt progress)}],
          ['queued', $v->{id}, 'sora-2', '4', '720x1280', 'The otter, at night', 0],
          'remix: a new queued job of the same model, seconds and size, remixed_from_video_id set');
isnt($remix->{json}{id}, $v->{id}, 'remix: a new id');
error_is(post($MOCK, "/v1/videos/$remix->{json}{id}/remix", '{"prompt":"again"}'), 400, 'invalid_request_error', undef, undef,
         'remix of a job not completed');
error_is(post($MOCK, '/v1/videos/video_000000000000000000000000000000000000000000000000/remix', '{"prompt":"x"}'),
         404, 'invalid_request_error', undef, undef, 'remix of an unknown job');

# Failed, once done
sleep 0.05 while time - $tf < $QueuedSeconds + $RunSeconds + 0.1;
for my $f ([$fail, 'model sora-fail'], [$fail2, 'a prompt with FAIL']) {
    my $got = ask($MOCK, path => "/v1/videos/$f->[0]{id}");
    is_deeply([@{ $got->{json} }{qw(status progress expires_at)}, $got->{json}{error}],
              ['failed', 0, undef, { code => 'video_generation_failed', message => $FailedMessage }],
              "$f->[1]: failed, error video_generation_failed");
    ok(defined $got->{json}{completed_at}, "$f->[1]: completed_at set");
    error_is(ask($MOCK, path => "/v1/videos/$f->[0]{id}/content"), 404, 'invalid_request_error', undef, undef, "$f->[1]: no content");
}
is_deeply([@$fail2{qw(seconds size)}], ['12', '1792x1024'], 'seconds "12" and 1792x1024 as asked');

# The list: newest first, pages
my @ids = ($v->{id}, $mp->{id}, $fail->{id}, $fail2->{id}, $remix->{json}{id});
my $list = ask($MOCK, path => '/v1/videos');
is($list->{status}, 200, 'list: 200');
is_deeply(top_keys($list->{body}), [qw(object data first_id last_id has_more)], 'list: object, data, first_id, last_id, has_more');
is_deeply([map { $_->{id} } @{ $list->{json}{data} }], [reverse @ids], 'list: every job, newest first');
is_deeply([@{ $list->{json} }{qw(object first_id last_id)}, $list->{json}{has_more} ? 1 : 0], ['list', $ids[-1], $ids[0], 0],
          'list: first_id, last_id, has_more false');
my $p1 = ask($MOCK, path => '/v1/videos?limit=2&order=asc')->{json};
my $p2 = ask($MOCK, path => "/v1/videos?limit=2&order=asc&after=$p1->{last_id}")->{json};
my $p3 = ask($MOCK, path => "/v1/videos?limit=2&order=asc&after=$p2->{last_id}")->{json};
is_deeply([map { [[map { $_->{id} } @{ $_->{data} }], $_->{has_more} ? 1 : 0] } $p1, $p2, $p3],
          [[[@ids[0, 1]], 1], [[@ids[2, 3]], 1], [[$ids[4]], 0]], 'list order=asc limit=2: three pages by after=last_id');
is_deeply([map { $_->{status} } @{ $list->{json}{data} }[-1]], ['completed'], 'list: each job with its status now');
error_is(ask($MOCK, path => '/v1/videos?order=up'), 400, 'invalid_request_error', 'order', 'invalid_value', 'list order=up');

# Delete
my $del = ask($MOCK, method => 'DELETE', path => "/v1/videos/$v->{id}");
is($del->{status}, 200, 'delete: 200');
is($del->{body}, qq({\n  "id": "$v->{id}",\n  "object": "video.deleted",\n  "deleted": true\n}), 'delete: {id, object, deleted}');
my $gone = ask($MOCK, path => "/v1/videos/$v->{id}");
error_is($gone, 404, 'invalid_request_error', undef, undef, 'GET after delete');
is($gone->{json}{error}{message}, "Video with id '$v->{id}' not found.", 'GET after delete: not found, naming the id');
is(ask($MOCK, path => "/v1/videos/$v->{id}/content")->{status}, 404, 'content after delete: 404');
is(ask($MOCK, method => 'DELETE', path => "/v1/videos/$v->{id}")->{status}, 404, 'delete again: 404');
is_deeply([map { $_->{id} } @{ ask($MOCK, path => '/v1/videos')->{json}{data} }], [reverse @ids[1 .. 4]], 'the list without it');
is(ask($MOCK, path => '/v1/videos/video_nope')->{status}, 404, 'an id of another shape: 404');

# ---------------------------------------------------------------------------
# A mock of its own: fail_polls, queued_s 0, run_s 0.2, content_bytes

my $k = post($KEYED, '/v1/videos', '{"prompt":"x"}', key => $Key)->{json};
is($k->{status}, 'in_progress', 'queued_s 0: in progress at once');
my @polls = map { ask($KEYED, path => "/v1/videos/$k->{id}", key => $Key) } 1 .. 3;
is_deeply([map { $_->{status} } @polls], [500, 500, 200], 'fail_polls 2: the first two GETs of a job answer 500');
error_is($polls[0], 500, 'server_error', undef, undef, 'fail_polls');
sleep 0.25;
is(ask($KEYED, path => "/v1/videos/$k->{id}", key => $Key)->{json}{status}, 'completed', 'run_s 0.2: completed after 0.2 s');
is(ask($KEYED, path => '/v1/videos', key => $Key)->{status}, 200, 'fail_polls counts only GETs of a job');
my $kc = ask($KEYED, path => "/v1/videos/$k->{id}/content", key => $Key);
is_deeply([length $kc->{body}, sha256_hex($kc->{body})], [100_000, $kc->{h}{'x-mock-sha256'}], 'content_bytes 100000');
is_deeply([map { $_->{status} } media_mock_log("$Dir/keyed.jsonl")], [401, 200, 200, 500, 500, 200, 200, 200, 200],
          'the keyed mock\'s log: every request with the status it got');

# ---------------------------------------------------------------------------
# The callback receiver

{
    my $cblog = "$Dir/callbacks.jsonl";
    push @pids, callback_receiver_start($CALLBACK, log => $cblog, fail_first => 2);
    my @got = map {
        ask($CALLBACK, path => "/hooks/video?try=$_", body => qq({"type":"video.completed","n":$_}), no_auth => 1,
            headers => [['X-Signature', "sig-$_"]]);
    } 1 .. 4;
    is_deeply([map { $_->{status} } @got], [500, 500, 200, 200], 'callbacks: fail_first 2 answers 500 twice, then 200');
    is($got[2]{body}, '{"ok":true}', 'callbacks: 200 {"ok":true}');
    my @rec = callback_receiver_log($cblog, min => 4);
    is_deeply([map { [@$_{qw(n method path query status)}, $_->{header}{'x-signature'}, $_->{json}{n}] } @rec],
              [map { [$_, 'POST', '/hooks/video', "try=$_", $_ <= 2 ? 500 : 200, "sig-$_", $_] } 1 .. 4],
              'callbacks: each delivery recorded: number, method, path, query, status, headers, body');
    is($rec[0]{body}, '{"type":"video.completed","n":1}', 'callbacks: the body byte for byte');
}

# ---------------------------------------------------------------------------
# The openai SDK against the mock

SKIP: {
    my $why = sdk_missing('openai');
    skip $why, 1 if $why;
    my $file = "$Dir/upload.png";
    open my $fh, '>:raw', $file or die "$file: $!";
    print {$fh} $Upload;
    close $fh;
    push @pids, media_mock_start($SDK, log => "$Dir/sdk.jsonl", state => "$Dir/sdk", key => $Key, queued_s => 0.5, run_s => 0.6);
    push @pids, media_mock_start($SDK_RETRY, log => "$Dir/sdk-retry.jsonl", state => "$Dir/sdk-retry", key => $Key,
                                 fail_polls => 2, queued_s => 0, run_s => 0);
    sdk_tap('sdk', 'media-mock-smoke.mjs', timeout => 60,
            env => { AIGW_BASE_URL => "http://127.0.0.1:$SDK/v1", AIGW_KEY => $Key, AIGW_MEDIA_FILE => $file,
                     AIGW_RETRY_BASE_URL => "http://127.0.0.1:$SDK_RETRY/v1" });

    my @got = media_mock_log("$Dir/sdk.jsonl");
    ok(@got >= 25, 'the mock recorded the SDK\'s requests') or diag(scalar @got);
    is_deeply([grep { ($_->{header}{authorization} // '') !~ /\ABearer (?:\Q$Key\E|sk-not-the-right-key-0000)\z/ } @got], [],
              'every request had the key (or the wrong-key check\'s own) as Bearer');
    my @edits = grep { $_->{path} eq '/v1/images/edits' } @got;
    ok(!grep({ ($_->{header}{'content-type'} // '') !~ m{\Amultipart/form-data; boundary=} } @edits), 'edits: multipart/form-data');
    my ($one) = grep { $_->{parts} && grep { $_->{name} eq 'image' } @{ $_->{parts} } } @edits;
    my ($img) = $one ? grep { $_->{name} eq 'image' } @{ $one->{parts} } : ();
    is_deeply($img && [@$img{qw(filename length sha256)}], ['upload.png', length $Upload, $UploadSha],
              'images.edit: the file went up byte for byte, under its name');
    my ($two) = grep { my @i = grep { $_->{name} eq 'image[]' } @{ $_->{parts} || [] }; @i == 2 } @edits;
    ok($two, 'images.edit with two images: two image[] parts');
    my ($create) = grep { $_->{method} eq 'POST' && $_->{path} eq '/v1/videos' && ($_->{status} // 0) == 200 } @got;
    my ($ref) = $create ? grep { $_->{name} eq 'input_reference' } @{ $create->{parts} || [] } : ();
    is_deeply($ref && [@$ref{qw(filename content_type sha256)}], ['reference.png', 'image/png', $UploadSha],
              'videos.create: multipart, the input_reference file byte for byte');
    ok((grep { $_->{path} =~ m{/content\z} && ($_->{header}{accept} // '') eq 'application/binary' } @got),
       'downloadContent asks for application/binary');
    my @retry = grep { $_->{method} eq 'GET' && $_->{path} =~ m{\A/v1/videos/video_} } media_mock_log("$Dir/sdk-retry.jsonl");
    is_deeply([map { [$_->{status}, $_->{header}{'x-stainless-retry-count'}] } @retry], [[500, 0], [500, 1], [200, 2]],
              'the SDK retried the two 500s of fail_polls, saying so in x-stainless-retry-count');
}

done_testing();
