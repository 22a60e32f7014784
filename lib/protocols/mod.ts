/**
 * Protocol translation between the three client APIs (OpenAI Chat
 * Completions `/v1/chat/completions`, OpenAI Responses `/v1/responses`,
 * Anthropic Messages `/v1/messages`), and the adjustments two kinds of
 * subscription account need. Pure code: no I/O, no logging; what a
 * translation leaves out comes back as a list for the caller's debug log,
 * and what it cannot do without comes back as a 400 naming the field.
 *
 * Layout:
 * - `sse.ts`: the incremental event-stream parser and writer;
 * - `chat/`, `responses/`, `messages/`: each API's wire shapes
 *   (`types.ts`), request decoder and encoder, whole-response and usage
 *   codec, stream decoder and encoder;
 * - `translate/`: the canonical model (`ir.ts`), the six directions
 *   (`translate.ts`), errors (`errors.ts`), account-bound state
 *   (`account_state.ts`);
 * - `codex/`: a Responses request made acceptable to a ChatGPT (Codex)
 *   subscription account, and the stream aggregated for JSON clients;
 * - `claude/`: which requests a Claude subscription account can serve.
 *
 * Sources, and what came from each:
 * - API shapes, field names, event grammars, usage fields, stop reasons:
 *   the OpenAI and Anthropic API references and the type definitions of the
 *   SDKs this project pins (`openai@7.57.0`: `ChatCompletionChunk`,
 *   `ResponseStreamEvent`, `ResponseErrorEvent`, `ResponseUsage`,
 *   `FunctionTool`; `@anthropic-ai/sdk@1.13.0`: `RawMessageStreamEvent`,
 *   `Usage`, `StopReason`, `OutputConfig`, whose changelog also records
 *   `temperature` being deprecated).
 * - Codex backend requirements: `store` must be false ("Store must be set
 *   to false": openai/codex issue 26173, router-for-me/CLIProxyAPI PR 41,
 *   cline/cline PR 9523); `instructions` required ("Instructions are
 *   required": diegosouzapw/OmniRoute PRs 746 and 1709,
 *   vybestack/llxprt-code issue 1197); stream only (QuantumNous/new-api PR
 *   5819, tingly-dev/tingly-box PR 545); unsupported parameters
 *   `max_output_tokens` (Wei-Shaw/sub2api issue 3954, RayBytes/ChatMock
 *   issue 103), `truncation` (coder/xum PR 3153, mcowger/plexus PR 741),
 *   `metadata` (170-carry/codex-tools issue 54), `temperature`/`top_p`/
 *   penalties/`prompt_cache_retention` (sub2api
 *   `openai_codex_transform.go`); ids not resolvable with store off ("Items
 *   are not persisted when store is set to false": anomalyco/opencode
 *   issues 7724 and 8987); the field set Codex CLI sends (openai/codex
 *   `codex-rs/codex-api/src/common.rs` `ResponsesApiRequest`), which LiteLLM
 *   (`litellm/llms/chatgpt/responses/transformation.py`) also allow-lists;
 *   `response.completed` arriving with an empty `output` (NousResearch/
 *   hermes-agent PR 5689, commontoolsinc/labs PR 5092, denoland/clawpatrol
 *   PR 729).
 * - Claude subscription: the 400 "This credential is only authorized for
 *   use with Claude Code…" (anthropics/claude-code issues 8046, 8052);
 *   Anthropic's statement that third parties may not route requests through
 *   Free/Pro/Max credentials on behalf of their users (quoted in
 *   sendbird/cc-plugin-codex issue 109); how Claude Code requests look
 *   (Wei-Shaw/claude-relay-service `src/validators/clients/
 *   claudeCodeValidator.js`, sub2api `backend/internal/pkg/claude/`,
 *   published Claude Code system prompts).
 * - OpenAI length limits: `user` and call ids at most 64 characters
 *   (maximhq/bifrost PR 1000; AnswerDotAI/fastllm issue 45 for
 *   `input[].call_id` on the Codex backend).
 * Peers were read for facts only; no code was taken from them.
 *
 * @module
 */

export { formatSse, type SseEvent, SseParser } from "./sse.ts";
export type { Api, Dropped, IrError } from "./translate/ir.ts";
export { TranslationError } from "./translate/ir.ts";
export {
  type RequestTranslation,
  type StreamOptions,
  StreamTranslator,
  translateRequest,
  translateResponse,
  translateStream,
} from "./translate/translate.ts";
export { translateErrorBody, translationErrorBody } from "./translate/errors.ts";
export { dropAccountState, type PortableRequest } from "./translate/account_state.ts";
export { type CodexRequest, codexRequest } from "./codex/request.ts";
export {
  type Aggregate,
  aggregateResponsesStream,
  ResponsesAggregator,
} from "./codex/aggregate.ts";
export { isClaudeCodeRequest, subscriptionServes } from "./claude/client.ts";
