"""Candidates: master CVs uploaded as Markdown or JSON Resume, versioned by name."""

from __future__ import annotations

from tests.service.api.conftest import CV, Api

JSON_RESUME = {
    "basics": {"name": "Sam Rivera", "email": "sam@example.com"},
    "work": [
        {
            "name": "Orbit",
            "position": "Frontend Engineer",
            "startDate": "2020-01",
            "highlights": ["Built the design system in React used by 12 teams."],
        }
    ],
}


async def test_a_new_upload_under_the_same_name_is_a_new_version(api: Api) -> None:
    """The first CV is version 1 (201); identical bytes again return it (200); a changed
    CV with the same name is version 2, and listing shows both under one candidate."""
    first = await api.client.post(
        "/api/candidates", headers=api.auth("run"), files={"file": ("cv.md", CV.read_bytes())}
    )
    assert first.status_code == 201
    assert (first.json()["name"], first.json()["version"]) == ("Alex Morgan", 1)
    same = await api.client.post(
        "/api/candidates", headers=api.auth("run"), files={"file": ("copy.md", CV.read_bytes())}
    )
    assert same.status_code == 200
    assert same.json()["id"] == first.json()["id"]
    changed = CV.read_bytes() + b"\n- Mentored two junior engineers into senior roles.\n"
    second = await api.client.post(
        "/api/candidates",
        headers={**api.auth("run"), "Content-Type": "text/markdown"},
        content=changed,
    )
    assert second.status_code == 201
    assert second.json()["version"] == 2
    assert [v["id"] for v in second.json()["versions"]] == [first.json()["id"], second.json()["id"]]
    listing = (await api.client.get("/api/candidates", headers=api.auth("read"))).json()
    [candidate] = listing["candidates"]
    assert candidate["latest_id"] == second.json()["id"]
    assert [v["version"] for v in candidate["versions"]] == [1, 2]
    old = await api.client.get(f"/api/candidates/{first.json()['id']}", headers=api.auth("read"))
    assert old.json()["version"] == 1
    assert old.json()["cv"]["name"] == "Alex Morgan"


async def test_a_json_resume_body_is_a_candidate(api: Api) -> None:
    """A JSON Resume document posted as application/json is parsed into roles and bullets."""
    response = await api.client.post("/api/candidates", headers=api.auth(), json=JSON_RESUME)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Sam Rivera"
    assert (body["versions"][0]["roles"], body["versions"][0]["bullets"]) == (1, 1)


async def test_an_unusable_cv_is_refused_naming_the_field(api: Api) -> None:
    """A CV without experience bullets is 422 naming the file field and saying what to add,
    without revealing where the server kept the upload."""
    response = await api.client.post(
        "/api/candidates", headers=api.auth(), files={"file": ("cv.md", b"# Pat\n\nHello.\n")}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"
    assert "no experience bullets" in response.json()["detail"]
    assert "/tmp" not in response.text
    missing = await api.client.get("/api/candidates/999", headers=api.auth())
    assert missing.status_code == 404
