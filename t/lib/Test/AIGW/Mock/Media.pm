package Test::AIGW::Mock::Media;

# OpenAI's image and video APIs as the mock upstreams of the tests send them: images generated,
# edited and varied (JSON, and streamed image by image as server-sent events), video jobs that go
# from queued to in_progress to completed (or failed) with time, their content downloaded in
# bytes a test can check, listed, remixed and deleted; OpenAI's errors; and, apart, a receiver of
# callbacks that fails its first deliveries. As api.openai.com sends them: JSON bodies
# pretty-printed with two spaces (Mock/Responses.pm's pretty_json), members in OpenAI's order,
# every answer with `x-request-id` and `openai-processing-ms`.
#
#     use Test::AIGW::Mock::Media qw(media_mock_start media_mock_log);
#     my $pid = media_mock_start($port, log => $file, state => $dir);   # and the options below
#     ... my @got = media_mock_log($file, min => 3);                     # what it received
#     tcp_server_stop($pid);
#     use Test::AIGW::Mock::Media qw(callback_receiver_start callback_receiver_log);
#     my $cb = callback_receiver_start($port, log => $file, fail_first => 2);
#
# A Perl server (Test::AIGW::HTTP's tcp_server_fork) that forks for each connection, so a video's
# state lives in a file of its own under `state`, never in memory.
#
# Every request needs `Authorization: Bearer KEY` (any KEY, or exactly `key`): else 401, as
# OpenAI words it. Then:
#   POST /v1/images/generations   JSON. The model: `model`, else gpt-image-1 when a parameter of
#                                 the GPT image models is given (background, moderation,
#                                 output_compression, output_format, partial_images, stream), else
#                                 dall-e-2, as OpenAI defaults it. GPT image models (gpt-image-*,
#                                 chatgpt-image-*): {created, background, data: [{b64_json}],
#                                 output_format, quality, size, usage}; quality auto is answered
#                                 medium, size auto 1024x1024, background auto opaque. dall-e-2 and
#                                 dall-e-3: {created, data: [{url}]}, or b64_json with
#                                 response_format=b64_json (OpenAI's default for them is url); dall-e-3
#                                 adds revised_prompt; no usage. `stream: true` (GPT image models,
#                                 n=1 only: the mock's choice, as what OpenAI does with more is not
#                                 known): `partial_images` events image_generation.partial_image,
#                                 then image_generation.completed with the image and the usage; no
#                                 [DONE].
#   POST /v1/images/edits         multipart/form-data: the `image` or `image[]` file parts, `mask`,
#                                 `prompt` and the same parameters as text parts. Answered as a
#                                 generation (default model gpt-image-1.5); its stream's events are
#                                 image_edit.partial_image and image_edit.completed. No image file:
#                                 400, param image.
#   POST /v1/images/variations    multipart/form-data, an `image` file: dall-e-2's answer.
#   Images: each is media_png(INDEX) (INDEX 0 .. n-1; a partial image media_png("partial-K")),
#   a small valid PNG whatever output_format says. Usage (GPT image models): output_tokens = n x
#   %OutputTokens{quality}{size} (OpenAI's table for gpt-image-1) + $PartialImageTokens a partial
#   image; text_tokens = the prompt's UTF-8 bytes / 4, rounded up (at least 1); image_tokens =
#   $InputImageTokens an input image file (edits); input_tokens = text + image; total = input +
#   output. Models that fail: image-400, image-429 (with retry-after), image-500 (%Errors); image-big
#   answers one image of 1024x768 pseudo-random pixels, about 3.1 MB of base64, with the usage of
#   1536x1024.
#   POST /v1/videos               JSON or multipart/form-data (the SDK sends multipart; an
#                                 `input_reference` file part is recorded): a video job
#                                 {id: video_ + 48 hex (the first 8 its created_at, as OpenAI's
#                                 are), object: video, created_at, status, completed_at, error,
#                                 expires_at, model, progress, prompt, remixed_from_video_id,
#                                 seconds, size}; model default sora-2, seconds "4", size
#                                 720x1280; seconds and size checked as OpenAI checks them.
#                                 Status with time: queued for `queued_s`, in_progress (progress 0
#                                 up to 99) for `run_s`, then completed (progress 100, completed_at,
#                                 expires_at = completed_at + $ExpiresAfter) or, for the model
#                                 sora-fail or a prompt with FAIL in it, failed (progress 0,
#                                 completed_at, error {code: video_generation_failed, message}).
#   GET /v1/videos/ID             the job; an ID the mock does not hold (or deleted): 404
#                                 invalid_request_error, code null, as OpenAI answers an unknown
#                                 response id. The first `fail_polls` of these answer 500.
#   GET /v1/videos/ID/content?variant=video|thumbnail|spritesheet
#                                 a completed job's bytes, media_content(ID, VARIANT, LENGTH):
#                                 video/mp4 of `content_bytes`, image/webp and image/jpeg of
#                                 %VariantBytes; Content-Length, `x-mock-sha256` (their SHA-256,
#                                 hex), sent in pieces of 256 KiB. A job not completed: 404 "Video is
#                                 not ready yet..." (what OpenAI answered a live client while a job
#                                 was queued or in progress); a failed one 404 too.
#   GET /v1/videos?limit=&after=&order=
#                                 {object: list, data, first_id, last_id, has_more}: the jobs
#                                 this mock holds, newest first (order=asc: oldest first), `limit`
#                                 (default 20, at most 100) after the job `after`.
#   DELETE /v1/videos/ID          {id, object: video.deleted, deleted: true}; the job is gone (the
#                                 mock deletes a job in any status).
#   POST /v1/videos/ID/remix      JSON or multipart {prompt}: a new queued job of a completed one,
#                                 remixed_from_video_id set, its model, seconds and size; a job
#                                 not completed: 400.
#   anything else                 404 invalid_request_error "Invalid URL (METHOD PATH)".
#
# Options of media_mock_start: log (a file: one JSON line a request), state (a directory for the
# jobs; default a temporary one of the calling process), key (the one key accepted), queued_s
# (default $QueuedSeconds), run_s ($RunSeconds), fail_polls (0), content_bytes ($ContentBytes),
# gap (seconds between the events of a stream and the pieces of a download; default 0.02).

use strict;
use warnings;

use Compress::Zlib ();
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha256 sha256_hex);
use Encode ();
use Exporter 'import';
use Fcntl qw(:flock);
use File::Temp ();
use IO::Select;
use JSON::PP ();
use MIME::Base64 qw(decode_base64 encode_base64);
use POSIX ();
use Time::HiRes qw(sleep time);

use Test::AIGW::HTTP qw(http_dechunk tcp_server_fork);
use Test::AIGW::Mock::Responses qw(pretty_json);

our @EXPORT_OK = qw(
    media_mock_start media_mock_log callback_receiver_start callback_receiver_log
    media_png media_content media_image_usage multipart_body multipart_parse
    $MediaKey %OutputTokens $InputImageTokens $PartialImageTokens $BigImageSize
    $QueuedSeconds $RunSeconds $ContentBytes %VariantBytes %ContentType $ExpiresAfter
    %Errors %ErrorJson $RetryAfter $FailedMessage $NotReadyMessage $Boundary
);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

# ---- fixtures ----

# A key for the tests to send: the mock takes any unless started with `key`.
our $MediaKey = 'sk-aigw-mock-media-0123456789abcdef';

# Output tokens of one image of gpt-image-1 by quality and size, as OpenAI's pricing table gives
# them; a partial image of a stream costs $PartialImageTokens more; an input image file
# $InputImageTokens (the mock's number).
our %OutputTokens = (
    low => { '1024x1024' => 272, '1024x1536' => 408, '1536x1024' => 400 },
    medium => { '1024x1024' => 1056, '1024x1536' => 1584, '1536x1024' => 1568 },
    high => { '1024x1024' => 4160, '1024x1536' => 6240, '1536x1024' => 6208 },
);
our $PartialImageTokens = 100;
our $InputImageTokens = 323;
our $BigImageSize = '1536x1024';

our $QueuedSeconds = 0.3;
our $RunSeconds = 1.0;
our $ContentBytes = 2 * 1024 * 1024;
our %VariantBytes = (thumbnail => 24 * 1024, spritesheet => 96 * 1024);
our %ContentType = (video => 'video/mp4', thumbnail => 'image/webp', spritesheet => 'image/jpeg');
# A completed job's assets expire a day after it completes, as the tests were specified; a live
# answer of OpenAI's seen in the wild had an hour (3600).
our $ExpiresAfter = 86400;

our $RetryAfter = 2;
our $FailedMessage = 'Video generation failed. Please try again; if the problem persists, try a different prompt.';
our $NotReadyMessage = 'Video is not ready yet, use GET /v1/videos/{video_id} to check status.';

# The errors of the failing image models: [status, message, type, param, code].
our %Errors = (
    'image-400' => [400, q(Invalid value: 'ultra'. Supported values are: 'low', 'medium', 'high', and 'auto'.),
                    'invalid_request_error', 'quality', 'invalid_value'],
    'image-429' => [429, "Rate limit reached for gpt-image-1 in organization org-aigwmock on images per min (IPM): Limit 5, "
                    . "Used 5, Requested 1. Please try again in ${RetryAfter}s. Visit https://platform.openai.com/account/rate-limits "
                    . 'to learn more.', 'requests', undef, 'rate_limit_exceeded'],
    'image-500' => [500, 'The server had an error while processing your request. Sorry about that!', 'server_error', undef, undef],
);

# The boundary multipart_body uses.
our $Boundary = '----aigwMockBoundary7MA4YWxkTrZu0gW';

# ---- JSON in OpenAI's order ----

# An object whose members keep their order: _obj(name => value, ...). A value is a string (of
# characters), undef (null), a reference to JSON text (numbers, true, false), an array or an object.
sub _obj { return bless [@_], 'Test::AIGW::Mock::Media::Object' }

my $Scalar = JSON::PP->new->utf8->allow_nonref;
my $Json = JSON::PP->new->utf8->canonical;

sub _json {
    my ($v) = @_;
    return 'null' unless defined $v;
    return $$v if ref $v eq 'SCALAR';
    return '[' . join(',', map { _json($_) } @$v) . ']' if ref $v eq 'ARRAY';
    if (ref $v eq 'Test::AIGW::Mock::Media::Object') {
        my @pairs = @$v;
        my @out;
        while (my ($name, $value) = splice @pairs, 0, 2) { push @out, $Scalar->encode($name) . ':' . _json($value) }
        return '{' . join(',', @out) . '}';
    }
    return $Scalar->encode("$v");
}

sub _n { my ($n) = @_; return \"$n" }

# An OpenAI error body, pretty-printed.
sub _error_json {
    my ($message, $type, $param, $code) = @_;
    return pretty_json(_json(_obj(error => _obj(message => $message, type => $type, param => $param, code => $code))));
}
our %ErrorJson = map { $_ => _error_json(@{ $Errors{$_} }[1 .. 4]) } keys %Errors;

# ---- bytes ----

# $len deterministic pseudo-random bytes of $seed.
sub _filler {
    my ($seed, $len) = @_;
    my $out = '';
    my $i = 0;
    $out .= sha256("$seed:" . $i++) while length $out < $len;
    return substr $out, 0, $len;
}

sub _png_chunk {
    my ($type, $data) = @_;
    return pack('N', length $data) . $type . $data . pack('N', Compress::Zlib::crc32($type . $data));
}

# A PNG of $w x $h 8-bit pixels (colour type 2 RGB or 6 RGBA) from its scanlines (each with its
# filter byte), compressed at $level.
sub _png {
    my ($w, $h, $colour, $rows, $level) = @_;
    return "\x89PNG\r\n\x1a\n" . _png_chunk('IHDR', pack('NNCCCCC', $w, $h, 8, $colour, 0, 0, 0))
         . _png_chunk('IDAT', Compress::Zlib::compress($rows, $level)) . _png_chunk('IEND', '');
}

# The image the mock answers for $seed (an image's index, or "partial-K"): a 16 x 16 RGBA
# gradient in a colour of the seed.
sub media_png {
    my ($seed) = @_;
    my ($r, $g, $b) = unpack 'C3', sha256("aigw-mock-image:$seed");
    my $rows = join '', map {
        my $y = $_;
        "\0" . join '', map { pack 'C4', ($r + 16 * $_) % 256, ($g + 16 * $y) % 256, $b, 255 } 0 .. 15;
    } 0 .. 15;
    return _png(16, 16, 6, $rows, 9);
}

# image-big's image: 1024 x 768 RGB pseudo-random pixels, stored uncompressed (about 2.36 MB).
sub _big_png {
    my $pixels = _filler('aigw-mock-big-image', 1024 * 768 * 3);
    my $rows = join '', map { "\0" . substr($pixels, $_ * 3072, 3072) } 0 .. 767;
    return _png(1024, 768, 2, $rows, 0);
}

# The bytes of a video job's asset: its format's magic, then pseudo-random bytes of the id and
# the variant, $length in all.
sub media_content {
    my ($id, $variant, $length) = @_;
    my %magic = (video => "\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41",
                 thumbnail => 'RIFF' . pack('V', $length - 8) . 'WEBPVP8 ',
                 spritesheet => "\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    my $head = $magic{$variant} // '';
    return substr($head . _filler("aigw-mock-$variant:$id", $length), 0, $length);
}

# ---- multipart ----

# A multipart/form-data body of @parts ({name, value, filename, type}): (Content-Type, body).
sub multipart_body {
    my (@parts) = @_;
    my $body = '';
    for my $p (@parts) {
        $body .= "--$Boundary\r\nContent-Disposition: form-data; name=\"$p->{name}\""
               . (defined $p->{filename} ? "; filename=\"$p->{filename}\"" : '') . "\r\n"
               . (defined $p->{type} ? "Content-Type: $p->{type}\r\n" : '') . "\r\n$p->{value}\r\n";
    }
    return ("multipart/form-data; boundary=$Boundary", "$body--$Boundary--\r\n");
}

# The parts of a multipart/form-data body, by the boundary of its Content-Type: [{name, filename
# (undef for a field), content_type (undef if none), value (the bytes)}], or undef when it is not one.
sub multipart_parse {
    my ($content_type, $body) = @_;
    my ($quoted, $bare) = ($content_type // '') =~ m{^\s*multipart/form-data\s*;.*?\bboundary=(?:"([^"]+)"|([^;\s]+))}is;
    my $boundary = $quoted // $bare;
    return undef unless defined $boundary;
    my $delim = "--$boundary";
    my $pos = index $body, $delim;
    return undef if $pos < 0;
    my @parts;
    while (1) {
        $pos += length $delim;
        last if substr($body, $pos, 2) eq '--';
        $pos += 2 if substr($body, $pos, 2) eq "\r\n";
        my $next = index $body, "\r\n$delim", $pos;
        last if $next < 0;
        my ($head, $value) = split /\r\n\r\n/, substr($body, $pos, $next - $pos), 2;
        my %p = (value => $value // '');
        for my $line (split /\r\n/, $head // '') {
            if ($line =~ /^Content-Disposition:/i) {
                ($p{name}) = $line =~ /;\s*name="([^"]*)"/i;
                ($p{filename}) = $line =~ /;\s*filename="([^"]*)"/i;
            } elsif ($line =~ /^Content-Type:\s*(.*?)\s*\z/i) {
                $p{content_type} = $1;
            }
        }
        push @parts, \%p;
        $pos = $next + 2;
    }
    return \@parts;
}

# ---- requests ----

# A request from $sock: (head, body), the body whole after its Content-Length or its chunked
# framing, read for at most $bound seconds.
sub _read_request {
    my ($sock, $bound) = @_;
    my $sel = IO::Select->new($sock);
    my ($buf, $head, $length, $chunked) = ('');
    my $deadline = time + ($bound // 10);
    while (1) {
        if (!defined $head && (my $end = index $buf, "\r\n\r\n") >= 0) {
            $head = substr $buf, 0, $end;
            $buf = substr $buf, $end + 4;
            ($length) = $head =~ /^Content-Length:[ \t]*(\d+)/mi;
            $chunked = $head =~ /^Transfer-Encoding:[ \t]*chunked/mi;
        }
        if (defined $head) {
            return ($head, substr $buf, 0, $length // 0) if !$chunked && length $buf >= ($length // 0);
            if ($chunked && $buf =~ /(?:\A|\r\n)0\r\n(?:[^\r\n]+\r\n)*\r\n\z/) {
                return ($head, http_dechunk($buf));
            }
        }
        my $left = $deadline - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $n = sysread $sock, $buf, 1 << 16, length $buf;
        last unless $n;
    }
    return ($head // $buf, defined $head ? $buf : '');
}

# A request's parts: method, target, path, query ('' for none), headers ([name, value] in
# order), header (lowercase name => value, repeated ones joined by ', '), body.
sub _parse_request {
    my ($head, $body) = @_;
    my ($line, @lines) = split /\r\n/, $head // '';
    my ($method, $target) = ($line // '') =~ /^(\S+) (\S+)/;
    $target //= '';
    my ($path, $query) = $target =~ /^([^?]*)(?:\?(.*))?\z/s;
    my (@headers, %header);
    for (@lines) {
        next unless /^([^:\s]+):[ \t]*(.*?)[ \t]*\z/;
        push @headers, [$1, $2];
        $header{ lc $1 } = defined $header{ lc $1 } ? "$header{ lc $1 }, $2" : $2;
    }
    return { method => $method // '', target => $target, path => $path // '', query => $query // '',
             headers => \@headers, header => \%header, body => $body // '' };
}

sub _query {
    my ($query) = @_;
    my %q;
    for (split /&/, $query) {
        my ($k, $v) = split /=/, $_, 2;
        next unless defined $k && length $k;
        for ($k, $v) { next unless defined; tr/+/ /; s/%([0-9a-fA-F]{2})/chr hex $1/ge }
        $q{$k} //= $v // '';
    }
    return \%q;
}

# The parameters of a JSON or multipart body: (params, files, error reply). Text parts become
# strings of characters; files are the parts with a filename.
sub _params {
    my ($req, %o) = @_;
    my $type = $req->{header}{'content-type'} // '';
    if ($type =~ m{^\s*multipart/form-data}i) {
        my $parts = multipart_parse($type, $req->{body});
        return (undef, undef, _error(400, 'Could not parse multipart form', 'invalid_request_error', undef, undef))
            unless $parts;
        my (%p, @files);
        for my $part (@$parts) {
            if (defined $part->{filename}) { push @files, $part; next }
            $p{ $part->{name} // '' } = Encode::decode('UTF-8', $part->{value});
        }
        for my $k (qw(stream)) { $p{$k} = $p{$k} eq 'true' ? 1 : 0 if defined $p{$k} }
        return (\%p, \@files, undef);
    }
    return (undef, undef, _error(400, "Invalid Content-Type header ($type), expected multipart/form-data.",
                                 'invalid_request_error', undef, undef)) if $o{multipart};
    my $p = eval { $Json->decode($req->{body}) };
    return (undef, undef, _error(400, 'We could not parse the JSON body of your request. (HINT: This likely means you '
        . "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
        . 'valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at '
        . 'help.openai.com.)', 'invalid_request_error', undef, undef)) unless ref $p eq 'HASH';
    return ($p, [], undef);
}

# ---- replies ----

my %Reason = (200 => 'OK', 400 => 'Bad Request', 401 => 'Unauthorized', 404 => 'Not Found', 429 => 'Too Many Requests',
              500 => 'Internal Server Error');

# A reply: {status, type, headers ([name, value, ...]), body} or, for a stream, {events} in place
# of the body; `pieces`: the body in pieces of this many bytes.
sub _reply {
    my ($status, $body, %o) = @_;
    return { status => $status, type => $o{type} // 'application/json', headers => $o{headers} || [], body => $body,
             pieces => $o{pieces} };
}
sub _error { my ($status, @e) = @_; return _reply($status, _error_json(@e)) }
sub _ok { return _reply(200, pretty_json(_json($_[0]))) }

sub _missing { return _error(400, "Missing required parameter: '$_[0]'.", 'invalid_request_error', $_[0], 'missing_required_parameter') }

sub _invalid {
    my ($param, $value, @allowed) = @_;
    my @q = map { "'$_'" } @allowed;
    my $list = @q > 1 ? join(', ', @q[0 .. $#q - 1]) . ", and $q[-1]" : $q[0];
    return _error(400, "Invalid value: '$value'. Supported values are: $list.", 'invalid_request_error', $param, 'invalid_value');
}

# ---- images ----

sub _gpt_image { return ($_[0] // '') =~ /^(?:gpt-image-|chatgpt-image-|image-big\z)/ }

# The usage of a GPT image model's answer (see the top).
sub media_image_usage {
    my (%o) = @_;
    my $text = int((length(Encode::encode('UTF-8', $o{prompt} // '')) + 3) / 4) || 1;
    my $image = ($o{images} // 0) * $InputImageTokens;
    my $output = ($o{n} // 1) * $OutputTokens{ $o{quality} }{ $o{size} } + ($o{partial_images} // 0) * $PartialImageTokens;
    return { input_tokens => $text + $image, input_tokens_details => { image_tokens => $image, text_tokens => $text },
             output_tokens => $output, total_tokens => $text + $image + $output };
}

sub _usage_obj {
    my ($u) = @_;
    return _obj(input_tokens => _n($u->{input_tokens}),
                input_tokens_details => _obj(image_tokens => _n($u->{input_tokens_details}{image_tokens}),
                                             text_tokens => _n($u->{input_tokens_details}{text_tokens})),
                output_tokens => _n($u->{output_tokens}), total_tokens => _n($u->{total_tokens}));
}

sub _int_param {
    my ($p, $name, $default, $min, $max) = @_;
    my $v = $p->{$name} // $default;
    return ($v, undef) if $v =~ /^-?\d+\z/ && $v >= $min && $v <= $max;
    return (undef, _error(400, "Invalid '$name': integer below minimum value. Expected a value >= $min, but got $v instead.",
                          'invalid_request_error', $name, 'integer_below_min_value')) if $v =~ /^-?\d+\z/ && $v < $min;
    return (undef, _error(400, "Invalid '$name': integer above maximum value. Expected a value <= $max, but got $v instead.",
                          'invalid_request_error', $name, 'integer_above_max_value')) if $v =~ /^-?\d+\z/;
    return (undef, _error(400, "Invalid type for '$name': expected an integer, but got a string instead.",
                          'invalid_request_error', $name, 'invalid_type'));
}

# POST /v1/images/{generations,edits,variations}.
sub _images {
    my ($req, $kind, %o) = @_;
    my ($p, $files, $bad) = _params($req, multipart => $kind ne 'generations');
    return $bad if $bad;
    my @images = grep { ($_->{name} // '') =~ /^image(?:\[\])?\z/ } @$files;
    my $model = $p->{model};
    if (!defined $model || $model eq '') {
        $model = $kind eq 'edits' ? 'gpt-image-1.5' : $kind eq 'variations' ? 'dall-e-2'
               : (grep { defined $p->{$_} } qw(background moderation output_compression output_format partial_images stream))
               ? 'gpt-image-1' : 'dall-e-2';
    }
    if (my $e = $Errors{$model}) {
        return _reply($e->[0], $ErrorJson{$model},
                      headers => $e->[0] == 429 ? ['retry-after', $RetryAfter, 'x-ratelimit-limit-images', 5,
                                                   'x-ratelimit-remaining-images', 0, 'x-ratelimit-reset-images', "${RetryAfter}s"] : []);
    }
    return _missing('image') if $kind ne 'generations' && !@images;
    my $prompt = $p->{prompt};
    return _missing('prompt') if $kind ne 'variations' && (!defined $prompt || $prompt eq '');
    my $gpt = _gpt_image($model);
    my ($n, $err) = _int_param($p, 'n', 1, 1, $model eq 'dall-e-3' ? 1 : 10);
    return $err if $err;
    my $stream = $p->{stream} ? 1 : 0;
    if ($stream && !$gpt) {
        return _error(400, "Streaming is not supported for the model '$model'; only the GPT image models stream.",
                      'invalid_request_error', 'stream', 'unsupported_value');
    }
    return _error(400, 'The mock streams one image: n must be 1 with stream.', 'invalid_request_error', 'n', 'invalid_value')
        if $stream && $n != 1;
    my $size = $p->{size} // 'auto';
    my @sizes = $gpt ? ('1024x1024', '1024x1536', '1536x1024', 'auto')
              : $model eq 'dall-e-3' ? ('1024x1024', '1792x1024', '1024x1792') : ('256x256', '512x512', '1024x1024');
    $size = '1024x1024' if !$gpt && $size eq 'auto';
    return _invalid('size', $size, @sizes) unless grep { $_ eq $size } @sizes;
    my $created = int time;

    if (!$gpt) {
        my $b64 = ($p->{response_format} // 'url') eq 'b64_json';
        my @data = map {
            my $i = $_;
            _obj(($model eq 'dall-e-3' ? (revised_prompt => "$prompt, rendered in soft natural light with fine detail.") : ()),
                 $b64 ? (b64_json => encode_base64(media_png($i), ''))
                      : (url => 'https://oaidalleapiprodscus.blob.core.windows.net/private/org-aigwmock/user-aigwmock/img-'
                                . substr(md5_hex(($prompt // '') . " $i $created"), 0, 24) . '.png?st=2026-12-05T12%3A00%3A00Z'
                                . '&se=2026-12-05T14%3A00%3A00Z&sp=r&sv=2024-08-04&sr=b&rscd=inline&rsct=image/png&sig=aigwmock'));
        } 0 .. $n - 1;
        return _ok(_obj(created => _n($created), data => \@data));
    }

    my $quality = $p->{quality} // 'auto';
    return _invalid('quality', $quality, qw(low medium high auto)) unless $quality =~ /^(?:low|medium|high|auto)\z/;
    $quality = 'medium' if $quality eq 'auto';
    $size = '1024x1024' if $size eq 'auto';
    my $background = $p->{background} // 'auto';
    $background = 'opaque' if $background eq 'auto';
    my $format = $p->{output_format} // 'png';
    my ($partials, $perr) = $stream ? _int_param($p, 'partial_images', 0, 0, 3) : (0);
    return $perr if $perr;
    my $big = $model eq 'image-big';
    ($n, $size) = (1, $BigImageSize) if $big;
    my $usage = media_image_usage(prompt => $prompt, n => $n, size => $size, quality => $quality,
                                  images => scalar @images, partial_images => $partials);

    if ($stream) {
        my $prefix = $kind eq 'generations' ? 'image_generation' : 'image_edit';
        my @tail = (size => $size, quality => $quality, background => $background, output_format => $format);
        my @events = map {
            my $type = "$prefix.partial_image";
            [$type, _obj(type => $type, b64_json => encode_base64(media_png("partial-$_"), ''), created_at => _n($created), @tail,
                         partial_image_index => _n($_))];
        } 0 .. $partials - 1;
        my $image = $big ? _big_png() : media_png(0);
        push @events, ["$prefix.completed", _obj(type => "$prefix.completed", b64_json => encode_base64($image, ''),
                                                 created_at => _n($created), @tail, usage => _usage_obj($usage))];
        return { status => 200, type => 'text/event-stream; charset=utf-8', headers => [],
                 events => [map { "event: $_->[0]\ndata: " . _json($_->[1]) . "\n\n" } @events] };
    }

    # The images go in after pretty-printing: a character loop over megabytes of base64 is slow.
    my @b64 = map { encode_base64($big ? _big_png() : media_png($_), '') } 0 .. $n - 1;
    my $body = pretty_json(_json(_obj(created => _n($created), background => $background,
                                      data => [map { _obj(b64_json => "\@B64_$_\@") } 0 .. $n - 1],
                                      output_format => $format, quality => $quality, size => $size, usage => _usage_obj($usage))));
    $body =~ s/\@B64_(\d+)\@/$b64[$1]/g;
    return _reply(200, $body);
}

# ---- videos ----

my %VideoSizes = map { $_ => 1 } qw(720x1280 1280x720 1024x1792 1792x1024);

sub _video_file { my ($o, $id) = @_; return $id =~ /^video_[0-9a-f]{48}\z/ ? "$o->{state}/$id.json" : undef }

sub _video_load {
    my ($o, $id) = @_;
    my $file = _video_file($o, $id) or return undef;
    open my $fh, '<', $file or return undef;
    local $/;
    my $v = eval { $Json->decode(scalar <$fh>) };
    close $fh;
    return $v;
}

sub _video_save {
    my ($o, $v) = @_;
    my $file = _video_file($o, $v->{id});
    open my $fh, '>', "$file.tmp" or die "cannot write $file.tmp: $!\n";
    print {$fh} $Json->encode($v);
    close $fh;
    rename "$file.tmp", $file or die "cannot rename $file.tmp: $!\n";
    return;
}

sub _video_new {
    my ($o, %v) = @_;
    my $created = time;
    my $id = sprintf('video_%08x', int $created) . substr(md5_hex("$$ $created " . rand()) . md5_hex(rand() . " $$"), 0, 40);
    my $v = { %v, id => $id, created => $created, created_at => int $created, queued_s => $o->{queued_s},
              run_s => $o->{run_s}, fails => ($v{model} eq 'sora-fail' || $v{prompt} =~ /FAIL/) ? 1 : 0 };
    _video_save($o, $v);
    return $v;
}

# A job's status now: (status, progress, completed_at).
sub _video_status {
    my ($v) = @_;
    my ($q, $run) = @$v{qw(queued_s run_s)};
    my $age = time - $v->{created};
    if ($age >= $q + $run) {
        my $done = int($v->{created} + $q + $run);
        return $v->{fails} ? ('failed', 0, $done) : ('completed', 100, $done);
    }
    return ('queued', 0, undef) if $age < $q;
    my $progress = int(100 * ($age - $q) / $run);
    return ('in_progress', $progress > 99 ? 99 : $progress, undef);
}

sub _video_object {
    my ($v) = @_;
    my ($status, $progress, $done) = _video_status($v);
    return _obj(id => $v->{id}, object => 'video', created_at => _n($v->{created_at}), status => $status,
                completed_at => defined $done ? _n($done) : undef,
                error => $status eq 'failed' ? _obj(code => 'video_generation_failed', message => $FailedMessage) : undef,
                expires_at => $status eq 'completed' ? _n($done + $ExpiresAfter) : undef,
                model => $v->{model}, progress => _n($progress), prompt => $v->{prompt},
                remixed_from_video_id => $v->{remixed_from}, seconds => $v->{seconds}, size => $v->{size});
}

sub _not_found { return _error(404, "Video with id '$_[0]' not found.", 'invalid_request_error', undef, undef) }

# POST /v1/videos.
sub _video_create {
    my ($req, $o) = @_;
    my ($p, $files, $bad) = _params($req);
    return $bad if $bad;
    return _missing('prompt') if !defined $p->{prompt} || ref $p->{prompt} || $p->{prompt} eq '';
    my $seconds = $p->{seconds} // '4';
    # A JSON number (the SDK's type is a string): OpenAI's own words for it.
    return _error(400, q(Invalid type for 'seconds': expected one of '4', '8', or '12', but got an integer instead.),
                  'invalid_request_error', 'seconds', 'invalid_type')
        if ref $seconds || $Scalar->encode($seconds) !~ /^"/;
    return _invalid('seconds', $seconds, qw(4 8 12)) unless $seconds =~ /^(?:4|8|12)\z/;
    my $size = $p->{size} // '720x1280';
    return _invalid('size', $size, qw(720x1280 1280x720 1024x1792 1792x1024)) unless $VideoSizes{$size};
    my $v = _video_new($o, model => $p->{model} // 'sora-2', prompt => $p->{prompt}, seconds => "$seconds", size => $size,
                       remixed_from => undef);
    return _ok(_video_object($v));
}

# GET /v1/videos.
sub _video_list {
    my ($req, $o) = @_;
    my $q = _query($req->{query});
    my ($limit, $err) = _int_param($q, 'limit', 20, 1, 100);
    return $err if $err;
    my $order = $q->{order} // 'desc';
    return _invalid('order', $order, qw(asc desc)) unless $order =~ /^(?:asc|desc)\z/;
    my @all = sort { $a->{created} <=> $b->{created} || $a->{id} cmp $b->{id} }
              grep { defined } map { m{/(video_[0-9a-f]{48})\.json\z} ? _video_load($o, $1) : () } glob "$o->{state}/video_*.json";
    @all = reverse @all if $order eq 'desc';
    if (defined $q->{after} && length $q->{after}) {
        my ($at) = grep { $all[$_]{id} eq $q->{after} } 0 .. $#all;
        return _not_found($q->{after}) unless defined $at;
        splice @all, 0, $at + 1;
    }
    my $more = @all > $limit ? 1 : 0;
    splice @all, $limit if $more;
    return _ok(_obj(object => 'list', data => [map { _video_object($_) } @all],
                    first_id => @all ? $all[0]{id} : undef, last_id => @all ? $all[-1]{id} : undef,
                    has_more => \($more ? 'true' : 'false')));
}

# Whether this GET of a job is one of the first `fail_polls`, counted in a file of the state.
sub _fail_poll {
    my ($o) = @_;
    return 0 unless $o->{fail_polls};
    open my $fh, '+>>', "$o->{state}/.fail_polls" or die "cannot open the poll count: $!\n";
    flock $fh, LOCK_EX;
    seek $fh, 0, 0;
    my $count = () = <$fh>;
    my $fail = $count < $o->{fail_polls};
    print {$fh} "x\n" if $fail;
    close $fh;
    return $fail;
}

# GET /v1/videos/ID/content.
sub _video_content {
    my ($req, $o, $id) = @_;
    my $v = _video_load($o, $id) or return _not_found($id);
    my $variant = _query($req->{query})->{variant} // 'video';
    return _invalid('variant', $variant, qw(video thumbnail spritesheet)) unless $ContentType{$variant};
    my ($status) = _video_status($v);
    return _error(404, $NotReadyMessage, 'invalid_request_error', undef, undef) if $status eq 'queued' || $status eq 'in_progress';
    return _error(404, "Video '$id' failed and has no content to download.", 'invalid_request_error', undef, undef)
        if $status eq 'failed';
    my $bytes = media_content($id, $variant, $variant eq 'video' ? $o->{content_bytes} : $VariantBytes{$variant});
    return _reply(200, $bytes, type => $ContentType{$variant}, headers => ['x-mock-sha256', sha256_hex($bytes)],
                  pieces => 256 * 1024);
}

# POST /v1/videos/ID/remix.
sub _video_remix {
    my ($req, $o, $id) = @_;
    my ($p, undef, $bad) = _params($req);
    return $bad if $bad;
    my $v = _video_load($o, $id) or return _not_found($id);
    return _missing('prompt') if !defined $p->{prompt} || $p->{prompt} eq '';
    my ($status) = _video_status($v);
    return _error(400, "Video '$id' is $status; only a completed video can be remixed.", 'invalid_request_error', undef, undef)
        unless $status eq 'completed';
    my $new = _video_new($o, model => $v->{model}, prompt => $p->{prompt}, seconds => $v->{seconds}, size => $v->{size},
                         remixed_from => $id);
    return _ok(_video_object($new));
}

# ---- the mock ----

# The answer to one request (parsed): a reply of _reply's shape.
sub _media_reply {
    my ($req, $o) = @_;
    my $auth = $req->{header}{authorization} // '';
    my ($got) = $auth =~ /^Bearer[ \t]+(\S+)/i;
    return _error(401, q(You didn't provide an API key. You need to provide your API key in an Authorization header using )
        . q(Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're )
        . q(accessing the API from your browser and are prompted for a username and password. You can obtain an API key )
        . 'from https://platform.openai.com/account/api-keys.', 'invalid_request_error', undef, undef) unless defined $got;
    if (defined $o->{key} && $got ne $o->{key}) {
        my $shown = length $got > 12 ? substr($got, 0, 8) . '*****' . substr($got, -4) : $got;
        return _error(401, "Incorrect API key provided: $shown. You can find your API key at "
                      . 'https://platform.openai.com/account/api-keys.', 'invalid_request_error', undef, 'invalid_api_key');
    }
    my ($m, $path) = @$req{qw(method path)};
    return _images($req, $1, %$o) if $m eq 'POST' && $path =~ m{^/v1/images/(generations|edits|variations)\z};
    return _video_create($req, $o) if $m eq 'POST' && $path eq '/v1/videos';
    return _video_list($req, $o) if $m eq 'GET' && $path eq '/v1/videos';
    if ($path =~ m{^/v1/videos/([^/]+)\z} && ($m eq 'GET' || $m eq 'DELETE')) {
        my $id = $1;
        return _error(500, 'The server had an error while processing your request. Sorry about that!', 'server_error', undef, undef)
            if $m eq 'GET' && _fail_poll($o);
        my $v = _video_load($o, $id) or return _not_found($id);
        return _ok(_video_object($v)) if $m eq 'GET';
        unlink _video_file($o, $id);
        return _ok(_obj(id => $id, object => 'video.deleted', deleted => \'true'));
    }
    return _video_content($req, $o, $1) if $m eq 'GET' && $path =~ m{^/v1/videos/([^/]+)/content\z};
    return _video_remix($req, $o, $1) if $m eq 'POST' && $path =~ m{^/v1/videos/([^/]+)/remix\z};
    return _error(404, "Invalid URL ($m $path)", 'invalid_request_error', undef, undef);
}

sub _write_all {
    my ($sock, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite $sock, $data, length($data) - $off, $off;
        return 0 unless $n;
        $off += $n;
    }
    return 1;
}

# Writes a reply: the head with OpenAI's headers, then the body (in its pieces, `gap` apart) with
# its Content-Length, or the events of a stream chunked, one chunk each, `gap` apart.
sub _send {
    my ($sock, $r, %o) = @_;
    my $gap = $o{gap} // 0.02;
    my @h = ('Date' => POSIX::strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime), 'Content-Type' => $r->{type},
             ($r->{events} ? ('Transfer-Encoding' => 'chunked') : ('Content-Length' => length $r->{body})),
             'Connection' => 'close', 'openai-version' => '2020-10-01', 'openai-organization' => 'user-aigwmock',
             'openai-processing-ms' => $o{ms}, 'x-request-id' => $o{request_id}, @{ $r->{headers} });
    my $head = "HTTP/1.1 $r->{status} $Reason{ $r->{status} }\r\n";
    while (my ($name, $value) = splice @h, 0, 2) { $head .= "$name: $value\r\n" }
    $head .= "\r\n";
    if ($r->{events}) {
        _write_all($sock, $head) or return;
        for my $e (@{ $r->{events} }) {
            sleep $gap if $gap;
            _write_all($sock, sprintf("%x\r\n%s\r\n", length $e, $e)) or return;
        }
        _write_all($sock, "0\r\n\r\n");
        return;
    }
    if (!$r->{pieces}) {
        _write_all($sock, $head . $r->{body});
        return;
    }
    _write_all($sock, $head) or return;
    for (my $at = 0; $at < length $r->{body}; $at += $r->{pieces}) {
        sleep $gap if $gap && $at;
        _write_all($sock, substr($r->{body}, $at, $r->{pieces})) or return;
    }
    return;
}

# One line of a log: ASCII JSON (bytes as Latin-1 characters) of the entry but its body, which
# ends the line as "body_b64" (base64): a reader cuts it out before decoding the rest, as JSON::PP
# takes seconds over a long string.
sub _log_line {
    my ($entry) = @_;
    my %e = %$entry;
    my $body = delete $e{body};
    my $line = JSON::PP->new->ascii->canonical->encode(\%e);
    $line =~ s/\}\z/,"body_b64":"${\ encode_base64($body \/\/ '', '')}"}/;
    return "$line\n";
}

sub _append {
    my ($file, $entry) = @_;
    open my $fh, '>>', $file or die "cannot append to $file: $!\n";
    flock $fh, LOCK_EX;
    print {$fh} _log_line($entry);
    close $fh;
    return;
}

# The record of a request: its parts, the status answered, body, body_length, body_sha256, and
# for a multipart body each part's name, filename, content_type, length, sha256 (and value, for
# a field).
sub _record {
    my ($file, $req, $status) = @_;
    my %r = map { $_ => $req->{$_} } qw(method target path query headers body);
    @r{qw(status body_length body_sha256)} = ($status, length $req->{body}, sha256_hex($req->{body}));
    if (my $parts = multipart_parse($req->{header}{'content-type'}, $req->{body})) {
        $r{parts} = [map { { name => $_->{name}, filename => $_->{filename}, content_type => $_->{content_type},
                             length => length $_->{value}, sha256 => sha256_hex($_->{value}),
                             (defined $_->{filename} ? () : (value => $_->{value})) } } @$parts];
    }
    _append($file, \%r);
    return;
}

# Serves one connection: reads the request, answers it, records it (before writing the answer, so
# that a client that has its answer finds its request in the log), writes the answer, closes.
sub _media_serve {
    my ($sock, $o) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $t0 = time;
    my $req = _parse_request(_read_request($sock));
    my $reply = _media_reply($req, $o);
    _record($o->{log}, $req, $reply->{status}) if $o->{log};
    _send($sock, $reply, gap => $o->{gap}, ms => int((time - $t0) * 1000) + 1,
          request_id => 'req_' . md5_hex("$$ $t0 " . rand()));
    close $sock;
    return;
}

# Starts the mock on 127.0.0.1:$port in a process of its own (options at the top); returns its
# pid, for Test::AIGW::HTTP's tcp_server_stop.
sub media_mock_start {
    my ($port, %o) = @_;
    $o{state} //= File::Temp::tempdir('aigw-media-mock-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    -d $o{state} or die "no directory $o{state}\n";
    $o{queued_s} //= $QueuedSeconds;
    $o{run_s} //= $RunSeconds;
    $o{content_bytes} //= $ContentBytes;
    return tcp_server_fork($port, sub { _media_serve($_[0], \%o) });
}

# The lines of a log, decoded: waits (2 s at most) for `min` of them.
sub _read_log {
    my ($file, %o) = @_;
    my @lines;
    for (1 .. 100) {
        if (open my $fh, '<', $file) {
            flock $fh, LOCK_SH;
            @lines = grep { /\S/ } <$fh>;
            close $fh;
        }
        last if @lines >= ($o{min} // 0);
        sleep 0.02;
    }
    return map {
        my $body = s/,"body_b64":"([A-Za-z0-9+\/=]*)"\}\s*\z/}/ ? decode_base64($1) : undef;
        my $r = JSON::PP->new->decode($_);
        $r->{body} = $body;
        $r->{header} = {};
        for my $h (@{ $r->{headers} }) {
            my $name = lc $h->[0];
            $r->{header}{$name} = defined $r->{header}{$name} ? "$r->{header}{$name}, $h->[1]" : $h->[1];
        }
        $r->{json} = defined $r->{body} ? eval { $Json->decode($r->{body}) } : undef;
        $r;
    } @lines;
}

# The requests the mock with `log => FILE` received, in order: hashes of method, target, path,
# query, headers ([name, value] as sent), header (lowercase name => value), status (answered),
# body (the bytes, whole), body_length, body_sha256, json (the body decoded, or undef) and, for a
# multipart body, parts ([{name, filename, content_type, length, sha256, value}]). `min => N`:
# wait (2 s at most) for N of them.
sub media_mock_log { return _read_log(@_) }

# ---- callbacks ----

# Serves one delivery: records it (method, target, path, query, headers, body, status, n: its
# number from 1) and answers 500 to the first `fail_first`, then 200 {"ok":true}.
sub _callback_serve {
    my ($sock, $o) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $req = _parse_request(_read_request($sock));
    open my $fh, '+>>', $o->{log} or die "cannot open $o->{log}: $!\n";
    flock $fh, LOCK_EX;
    seek $fh, 0, 0;
    my $n = 1 + grep { /\S/ } <$fh>;
    my $status = $n <= ($o->{fail_first} // 0) ? 500 : 200;
    my %r = map { $_ => $req->{$_} } qw(method target path query headers body);
    print {$fh} _log_line({ %r, n => $n, status => $status });
    close $fh;
    my $body = $status == 200 ? qq({"ok":true}) : qq({"error":"the mock receiver fails delivery $n of the first $o->{fail_first}"});
    _write_all($sock, "HTTP/1.1 $status $Reason{$status}\r\nContent-Type: application/json\r\nContent-Length: "
                      . length($body) . "\r\nConnection: close\r\n\r\n$body");
    close $sock;
    return;
}

# A receiver of callbacks on 127.0.0.1:$port: `log` (a file, required) records every delivery,
# `fail_first => N` answers the first N with 500. Returns its pid, for tcp_server_stop.
sub callback_receiver_start {
    my ($port, %o) = @_;
    die "callback_receiver_start: a log file is required\n" unless $o{log};
    return tcp_server_fork($port, sub { _callback_serve($_[0], \%o) });
}

# The deliveries the receiver got, in order: method, target, path, query, headers, header, body,
# json, n, status. `min => N`: wait (2 s at most) for N of them.
sub callback_receiver_log { return _read_log(@_) }

1;
