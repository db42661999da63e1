"""The skills taxonomy: matching, alias normalisation and false-positive guards."""

from __future__ import annotations

import pytest

from jobintel.analysis.skills import (
    canonical_skill,
    find_skills,
    find_soft_skills,
    is_concept,
    load_taxonomy,
    skill_category,
)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("k8s", "Kubernetes"),
        ("GCP", "Google Cloud Platform"),
        ("Google Cloud", "Google Cloud Platform"),
        ("LLMs", "LLM"),
        ("large language models", "LLM"),
        ("node", "Node.js"),
        ("nodejs", "Node.js"),
        ("node.js", "Node.js"),
        ("postgres", "PostgreSQL"),
        ("CI/CD", "CI/CD"),
        ("GoLang", "Go"),
        ("AWS SageMaker", "Amazon SageMaker"),
        ("RAG Systems", "RAG"),
        ("Machine learning models", "Machine Learning"),
        (".NET 6+", ".NET"),
    ],
)
def test_canonical_skill_normalises_aliases(spelling: str, canonical: str) -> None:
    """Any known spelling, plural or generic suffix maps to one canonical name."""
    assert canonical_skill(spelling) == canonical


def test_canonical_skill_is_none_for_unknown_names() -> None:
    """A name the taxonomy cannot place is not guessed."""
    assert canonical_skill("Underwater basket weaving") is None
    assert canonical_skill("") is None


def test_find_skills_in_order_of_first_appearance() -> None:
    """Skills come back canonical, de-duplicated, in the order the text names them."""
    text = "We run k8s on GCP with Postgres; Kubernetes operators and node.js services."
    assert find_skills(text) == ["Kubernetes", "Google Cloud Platform", "PostgreSQL", "Node.js"]


@pytest.mark.parametrize(
    "text",
    [
        "Build our go to market plan and go-to-market motion.",
        "We are looking for a C-suite go-getter to spark growth.",
        "After our Series C, we are scaling fast.",
        "You will react quickly and take swift action at the helm of the team.",
        "Our people spring into action; rust never sleeps.",
    ],
)
def test_ordinary_words_are_not_skills(text: str) -> None:
    """Words that are also skill names do not match in ordinary prose."""
    assert find_skills(text) == []


def test_ambiguous_names_match_inside_a_skill_list() -> None:
    """ "Go", "C" and "R" count when listed next to other skills."""
    assert find_skills("Python, Go, and Rust") == ["Python", "Go", "Rust"]
    assert find_skills("C/C++, Java") == ["C", "C++", "Java"]
    assert find_skills("Statistics in Python or R") == ["Statistics", "Python", "R"]
    assert find_skills("Go (Golang)") == ["Go"]


def test_glued_product_names_are_recognised() -> None:
    """Scraping-glued names ("MicrosoftAzure") are split when both halves are skill words."""
    assert find_skills("on MicrosoftAzure with ContainerApps") == [
        "Microsoft Azure",
        "Azure Container Apps",
    ]


def test_people_mentions_are_not_skill_requirements() -> None:
    """ "data science teams" names colleagues, not a skill wanted."""
    assert find_skills("Partner with data science teams and DevOps engineers") == []
    assert find_skills("Strong data science background") == ["Data Science"]


def test_find_soft_skills() -> None:
    """Soft skills are found under their canonical names."""
    text = "Excellent communication skills, a problem-solver and a team player."
    assert find_soft_skills(text) == ["Communication", "Problem-Solving", "Collaboration"]


def test_categories_and_concepts() -> None:
    """Each skill has a category; concepts are told apart from named products."""
    assert skill_category("k8s") == "devops"
    assert skill_category("LLMs") == "llm"
    assert skill_category("nothing at all") is None
    assert is_concept("Data Pipelines")
    assert not is_concept("Terraform")


def test_taxonomy_is_large_and_unambiguous() -> None:
    """Several hundred skills; no spelling names two different skills."""
    taxonomy = load_taxonomy()
    assert len(taxonomy.skills) >= 400
    assert len(taxonomy.soft_skills) >= 20
    owners: dict[str, set[str]] = {}
    for skill in taxonomy.skills:
        for spelling in (skill.name, *skill.aliases, *skill.exact):
            key = " ".join(spelling.lower().replace("-", " ").replace("/", " ").split())
            owners.setdefault(key, set()).add(skill.name)
    clashes = {k: v for k, v in owners.items() if len(v) > 1}
    assert clashes == {}
