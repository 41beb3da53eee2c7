"""What an Overlord error answer becomes: a short reason for people, the body (capped) in the details."""

from __future__ import annotations

import requests

from backend.druid.overlord import OverlordClient
from backend.errors import ErrorCode


def _response(status: int, body: bytes, content_type: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = content_type
    return response


def test_an_html_error_page_stays_out_of_the_message() -> None:
    page = b"<html><head><title>Error 503</title></head><body>" + b"<p>Service Unavailable</p>" * 400 + b"</body>"
    error = OverlordClient._unavailable(_response(503, page, "text/html"), "a status request")
    assert error.code is ErrorCode.druid_unavailable
    assert error.message == "Druid Overlord answered 503 to a status request"
    assert error.details["status"] == 503 and error.details["body"].startswith("<html>")
    assert len(error.details["body"]) == 2000


def test_druids_own_error_is_the_reason() -> None:
    body = b'{"error":"Service Unavailable: the Overlord is not the leader\\nat org.apache..."}'
    error = OverlordClient._unavailable(_response(503, body, "application/json"), "a task submission")
    assert error.message == ("Druid Overlord answered 503 to a task submission: "
                             "Service Unavailable: the Overlord is not the leader")


def test_a_task_lost_with_its_indexer_is_told_apart_from_a_failed_one() -> None:
    from backend.druid.overlord import TaskStatus
    from backend.pipeline.druid_task import _lost

    def failed(message: str | None) -> TaskStatus:
        return TaskStatus("t", "FAILED", "NONE", message, 10)

    assert _lost(failed("Canceled as unknown task. See middleManager or indexer logs for more details."))
    assert not _lost(failed("java.lang.RuntimeException: Max parse exceptions[0] exceeded"))
    assert not _lost(failed(None))
