"""Gemini's Batch API on the loopback server (real sockets), speaking its wire format: see
generation/providers/gemini_batch.py for the documented shapes it mirrors."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field

from PIL import Image

from generation.render.renderer import render_slide
from generation.slides import Theme
from tests.generation.providers.conftest import API_KEY, Received

CREATE = re.compile(r"^/v1beta/models/([^/:]+):batchGenerateContent$")
JOB = re.compile(r"^/v1beta/(batches/[^/:]+)(:cancel)?$")


def image_answer(image: Image.Image) -> dict:
    """A GenerateContentResponse carrying `image` as Gemini would send it."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    data = base64.b64encode(buffer.getvalue()).decode()
    part = {"inlineData": {"mimeType": "image/png", "data": data}}
    candidate = {"content": {"role": "model", "parts": [part]}, "finishReason": "STOP"}
    return {"candidates": [candidate], "usageMetadata": {"totalTokenCount": 1290}}


def slide_answer(plan: dict) -> dict:
    """The page's slide as Gemini would draw it."""
    return image_answer(render_slide(plan, Theme(), (1536, 864)).image)


@dataclass
class FakeBatchApi:
    """Gemini's Batch API on the loopback server: jobs are created PENDING, stay in the state
    a test gives them, and answer each request with the slide of the page its prompt names
    (or with what `answers` scripts for that page index)."""

    jobs: dict[str, dict] = field(default_factory=dict)
    pages: dict[str, tuple[int, dict]] = field(default_factory=dict)  # prompt → (index, plan)
    answers: dict[int, dict] = field(default_factory=dict)  # page index → inlined response item
    cancelled: list[str] = field(default_factory=list)
    unavailable: int = 0  # answer the next creates with 503

    def __call__(self, request: Received) -> tuple[int, dict, dict]:
        assert request.headers["x-goog-api-key"] == API_KEY
        created = CREATE.match(request.path)
        if created and request.method == "POST":
            if self.unavailable:
                self.unavailable -= 1
                return 503, {}, {"error": {"code": 503, "message": "overloaded"}}
            return self._create(created.group(1), request.json())
        found = JOB.match(request.path)
        if not found or found.group(1) not in self.jobs:
            return (
                404,
                {},
                {"error": {"code": 404, "message": "no such batch", "status": "NOT_FOUND"}},
            )
        name = found.group(1)
        if found.group(2):
            self.cancelled.append(name)
            self.jobs[name]["state"] = "BATCH_STATE_CANCELLED"
            return 200, {}, {}
        return 200, {}, self._operation(name)

    def _create(self, model: str, body: dict) -> tuple[int, dict, dict]:
        batch = body["batch"]
        entries = batch["input_config"]["requests"]["requests"]
        name = f"batches/job-{len(self.jobs) + 1}"
        self.jobs[name] = {
            "model": model,
            "display_name": batch["display_name"],
            "entries": entries,
            "state": "BATCH_STATE_PENDING",
            "error": None,
        }
        return 200, {}, self._operation(name)

    def _operation(self, name: str) -> dict:
        job = self.jobs[name]
        metadata = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "model": f"models/{job['model']}",
            "displayName": job["display_name"],
            "name": name,
            "state": job["state"],
        }
        operation = {"name": name, "metadata": metadata}
        if job["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
            return operation
        operation["done"] = True
        if job["error"]:
            operation["error"] = job["error"]
        if job["state"] == "BATCH_STATE_SUCCEEDED":
            items = [self._item(entry) for entry in job["entries"]]
            operation["response"] = {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main."
                "GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": items},
            }
        return operation

    def _item(self, entry: dict) -> dict:
        prompt = entry["request"]["contents"][0]["parts"][0]["text"]
        # The server thread reads no database: the test told it the pages' prompts and plans.
        index, plan = next(page for text, page in self.pages.items() if text in prompt)
        scripted = self.answers.pop(index, None)
        item = scripted or {"response": slide_answer(plan)}
        return {**item, "metadata": entry["metadata"]}

    def set_state(self, state: str, *, error: dict | None = None) -> None:
        for job in self.jobs.values():
            if job["state"] in ("BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"):
                job["state"], job["error"] = state, error
