// Gemini's generateContent to and from the pivot (api/request.hpp, api/stream.hpp): what the
// dialect interface's translation half calls. Passthrough never comes here.
//
// Malformed or hostile input is an answer, never an exception (false, or an error); the only
// exception is std::bad_alloc. What the pivot cannot carry is dropped, or refused when dropping
// it would change the answer (see each function).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "aigw/api/error.hpp"
#include "aigw/api/request.hpp"
#include "aigw/api/stream.hpp"

namespace aigw::gemini {

// thinkingConfig.thinkingBudget <-> reasoning_effort: minimal 512, low 1024, medium 8192,
// high 24576, any other word ("none") 0; back: 0 gives "" (thinking off is not an effort: left
// out), below 2048 "low", below 16384 "medium", else "high"; -1 (dynamic) gives "medium".
std::int64_t thinking_budget(std::string_view effort) noexcept;
std::string_view reasoning_effort(std::int64_t budget) noexcept;

// A GenerateContentRequest body -> the pivot (model and stream are the path's: the caller sets
// them). contents (role "user" / "model"; parts: text, inlineData -> an image data: URL, fileData
// -> an image URL, functionCall -> the assistant's tool call (its id, else one made up from the
// name and the call's rank among the request's calls of that name from 0, "call_<name>_<n>"; a
// functionResponse without id answers the first call of its name that no answer before it named,
// and gets its id), functionResponse -> a role::tool message (its response as compact JSON text,
// before the rest of its turn), thought parts -> reasoning (a user turn's are dropped); role
// "function", older SDKs' turn of answers, is "user"), systemInstruction (a Content or a string:
// role::system messages first), tools[].functionDeclarations (parameters, its OpenAPI type names
// "OBJECT" in JSON Schema's lower case, or parametersJsonSchema as it came), toolConfig
// (functionCallingConfig.mode AUTO and VALIDATED automatic, ANY required or, with one
// allowedFunctionNames, that function, NONE none), generationConfig (maxOutputTokens, temperature,
// topP, topK, seed, stopSequences, responseMimeType text/plain -> text, application/json ->
// json_object, with responseSchema or responseJsonSchema -> json_schema named "response",
// thinkingConfig.thinkingBudget -> reasoning_effort, or Gemini 3's thinkingLevel as the same word
// in lower case).
// camelCase and snake_case member names are both read, as the API reads them. Refused (400, param
// naming the member as spelled): malformed JSON, not an object, contents missing, empty or not an
// array, wrong types, candidateCount above 1, a part kind the pivot cannot carry (executableCode,
// codeExecutionResult, a non-image inlineData/fileData such as audio or PDF, media in a model
// turn), tools other than functionDeclarations (googleSearch, codeExecution, urlContext),
// cachedContent, responseMimeType text/x.enum.
// Dropped: safetySettings, labels, responseModalities, speechConfig, mediaResolution,
// thoughtSignature, toolConfig when no function is declared. `out` is written only on success.
bool request_to_pivot(std::string_view body, api::request& out, api_error& err);

// The pivot -> a GenerateContentRequest body (compact JSON, camelCase as the SDKs send it).
// role::system messages join systemInstruction; assistant -> "model"; role::tool messages
// become functionResponse parts of a user turn (name from the call they answer, else the
// tool_call_id; response {"result": text} unless the text is a JSON object, then that object;
// no id), consecutive turns of one role merge, empty text parts are left out; images: a
// base64 data: URL -> inlineData, another URL -> fileData (mimeType from its extension, JPEG
// when unknown); tool calls -> functionCall parts (args: the arguments as a JSON object, {}
// when not one; a turn's first call carries the thoughtSignature Google documents for calls
// another model made, which Gemini 3 requires); tools -> one functionDeclarations entry with
// parametersJsonSchema (left out when not a JSON object); tool_choice -> toolConfig (only with
// tools); response_format text -> responseMimeType text/plain, json_object -> application/
// json, json_schema -> that and responseJsonSchema; reasoning_effort -> thinkingConfig
// {thinkingBudget, includeThoughts: true} when the budget is above 0; stop -> stopSequences;
// seed, temperature, topP, topK, maxOutputTokens as given.
// Dropped: parallel_tool_calls, user, a message's name, reasoning (Gemini takes thoughts back
// only with its own signatures, which the pivot does not carry).
std::string request_from_pivot(const api::request& req);

// A GenerateContentResponse body -> the pivot: the first candidate's parts (text joined into
// text, thought parts into reasoning, functionCall parts into tool calls: id the part's, else
// "call_" + random hex; arguments the args as compact JSON), finishReason (STOP stop;
// MAX_TOKENS length; SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY
// content_filter; MALFORMED_FUNCTION_CALL and others stop; tool_calls when calls were made and
// the reason is STOP), usageMetadata (usage.hpp), responseId (id), modelVersion (model). A body
// with promptFeedback.blockReason and no candidate is a blocked prompt: out.blocked set with
// the reason. False when it is not a GenerateContentResponse (not an object, candidates not an
// array, neither candidates nor a block reason: an error body, ...); `out` is then untouched.
bool response_to_pivot(std::string_view body, api::response& out);

// The pivot -> a GenerateContentResponse body: one candidate {content {parts, role "model"},
// finishReason, index 0}, parts: a thought part {"text":..,"thought":true} for reasoning, a
// text part (the refusal's text when there is no other), a functionCall part per call
// ({"id","name","args"}); finishReason STOP, MAX_TOKENS (length), SAFETY (content_filter);
// usageMetadata from the usage when present; modelVersion the model; responseId the id (32
// random hex digits when there is none). A blocked answer is {"promptFeedback":{"blockReason"}}
// with no candidate, as Gemini says it.
std::string response_from_pivot(const api::response& resp);

// Streamed GenerateContentResponse chunks (SSE data, no [DONE]) -> pivot events. The first
// chunk gives start (responseId, modelVersion); text parts text_delta, thought parts
// reasoning_delta (empty ones none); each functionCall part (Gemini sends calls whole)
// tool_call_start (id as in a whole answer) and one tool_call_delta with all its arguments;
// the first finishReason finish (mapped as above, tool_calls after any call of the stream);
// every chunk's usageMetadata a usage event (cumulative: each supersedes the one before); a
// chunk with promptFeedback.blockReason and no candidate an error event (content_filter_error),
// with no start before it when it is the first chunk (the prompt began no answer);
// a chunk with "error" an error event (read_error). Within a chunk: start, parts, finish,
// usage, error. Never done: the stream ends when the connection does, and the glue then ends
// the client's stream. decode() is false for data that is not a JSON object.
std::unique_ptr<api::stream_decoder> make_stream_decoder();

// Pivot events -> Gemini SSE chunks ("data: {...}\r\n\r\n"), each a GenerateContentResponse
// with responseId (from start, else 32 random hex digits) and modelVersion (from start, else
// `req`'s model): a text, refusal or reasoning delta is one chunk with one part (empty ones
// none); tool calls are held until done (Gemini sends them whole) and go in the last chunk
// with finishReason and usageMetadata (when usage came); without calls that chunk has one
// empty text part, as Gemini's own last chunk. An error event is a chunk {"error":{...}}
// (error.hpp) and ends the stream; nothing is written after it or done.
std::unique_ptr<api::stream_encoder> make_stream_encoder(const api::request& req);

}  // namespace aigw::gemini
