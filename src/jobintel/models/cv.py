"""The candidate's master CV: the only source of truth for anything we claim."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Bullet(BaseModel):
    """One achievement line of the master CV, addressable by a stable id."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id, e.g. 'r0.b3' (role 0, bullet 3) or 'p1' (project 1)")
    text: str


class Role(BaseModel):
    """A position held: title, employer, dates and the bullets under it."""

    model_config = ConfigDict(frozen=True)

    title: str
    employer: str
    location: str = ""
    start: str = ""
    end: str = ""
    summary: str = ""
    bullets: tuple[Bullet, ...] = ()


class SkillGroup(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    items: tuple[str, ...]


class MasterCV(BaseModel):
    """A parsed master CV (from Markdown or JSON Resume)."""

    model_config = ConfigDict(frozen=True)

    source: str
    name: str
    contact: str = ""
    summary: str = ""
    roles: tuple[Role, ...] = ()
    skills: tuple[SkillGroup, ...] = ()
    education: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    projects: tuple[Bullet, ...] = ()
    content_hash: str = Field(default="", description="sha256 of the source bytes")

    def all_bullets(self) -> list[Bullet]:
        """Every role bullet and project, in CV order."""
        out: list[Bullet] = [b for role in self.roles for b in role.bullets]
        out.extend(self.projects)
        return out

    def role_of(self, bullet_id: str) -> Role | None:
        """The role a bullet belongs to (None for projects)."""
        for role in self.roles:
            if any(b.id == bullet_id for b in role.bullets):
                return role
        return None

    def skill_names(self) -> list[str]:
        return [item for group in self.skills for item in group.items]
