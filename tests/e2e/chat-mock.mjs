// An OpenAI-compatible chat-completions server on 127.0.0.1 for the E2E specs, in the shape of
// OpenAI's API (the same as crates/codebench-machine's mock, which has no binary of its own):
// `POST /v1/chat/completions` answers `{id, object, model, system_fingerprint, choices[0].message
// .content, finish_reason, usage}`; the content is the JSON answer the request's schema asks for
// (`{"codes": [...], "rationale", "confidence"}`, the first code the schema allows). The unit is
// read from the prompt's `Unit: NAME` line; units listed in `broken` get content that is not
// JSON. Every answer waits `delayMs`, so a spec can cancel a run midway. Requests are counted
// per unit, so a spec can show that no unit is asked twice. With `key`, a request without
// `Authorization: Bearer KEY` gets OpenAI's 401 answer for a wrong key, and is counted as denied.

import { createServer } from "node:http";

/** Resolves to { url, asked(): Map<unit, count>, denied(): number, stop() }. */
export function startChatMock({ delayMs = 300, broken = [], key = null } = {}) {
  const asked = new Map();
  let denied = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const answer = (status, body) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method !== "POST" || req.url !== "/v1/chat/completions") return answer(404, { error: { message: "unknown path" } });
      if (key !== null && req.headers.authorization !== `Bearer ${key}`) {
        denied += 1;
        return answer(401, { error: { message: "Incorrect API key provided.", type: "invalid_request_error", param: null, code: "invalid_api_key" } });
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return answer(400, { error: { message: "the body is not JSON" } });
      }
      const text = (body.messages ?? []).map((m) => (typeof m.content === "string" ? m.content : "")).join("\n");
      const unit = /^Unit: (.+)$/m.exec(text)?.[1]?.trim() ?? "?";
      asked.set(unit, (asked.get(unit) ?? 0) + 1);
      const allowed = body.response_format?.json_schema?.schema?.properties?.codes?.items?.enum ?? [];
      const content = broken.includes(unit)
        ? "{ codes: model"
        : JSON.stringify({ codes: allowed.slice(0, 1), rationale: `the README of ${unit} says so`, confidence: 0.8 });
      setTimeout(
        () =>
          answer(200, {
            id: `chatcmpl-e2e${asked.size}`,
            object: "chat.completion",
            created: 1700000000,
            model: body.model,
            system_fingerprint: "fp_e2e_mock",
            choices: [{ index: 0, message: { role: "assistant", content }, logprobs: null, finish_reason: "stop" }],
            usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
          }),
        delayMs,
      );
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}/v1`, asked: () => asked, denied: () => denied, stop: () => new Promise((r) => server.close(r)) });
    });
  });
}
