"""Hand-built MasterCV and ExtractedJD fixtures equal to the shared sample CVs.

They let the analysis tests run without the CV parser; once ``load_cv`` exists the
sample-wide test checks these against the parsed files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jobintel.models import Bullet, ExtractedJD, MasterCV, Role, SkillGroup

SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples"


def _bullets(prefix: str, texts: list[str]) -> tuple[Bullet, ...]:
    return tuple(Bullet(id=f"{prefix}.b{i}", text=t) for i, t in enumerate(texts))


def leader_cv() -> MasterCV:
    """The good-fit sample CV (master-cv.md): an applied-AI engineering leader."""
    return MasterCV(
        source="master-cv.md",
        name="Jordan Reyes",
        contact=(
            "Berlin, Germany · jordan.reyes@example.org · +49 30 0000 0000 · "
            "linkedin.com/in/jordan-reyes-example · github.com/jreyes-example"
        ),
        summary=(
            "Engineering leader with 11 years of experience building data-intensive and "
            "machine-learning products, the last five leading teams that ship LLM-based "
            "systems to production. Comfortable moving between architecture, hands-on "
            "Python, and stakeholder work; known for making AI systems measurable, "
            "affordable and reliable."
        ),
        roles=(
            Role(
                title="Head of Applied AI",
                employer="Lumen Freight GmbH",
                location="Berlin",
                start="2022-03",
                end="present",
                summary="Logistics SaaS, 400 employees, Series C.",
                bullets=_bullets(
                    "r0",
                    [
                        "Built and lead the Applied AI group (9 engineers, 2 product managers) from a single prototype to four production LLM features used by 1,200 customer accounts.",
                        "Designed a retrieval-augmented document assistant over 3.1M freight documents (PostgreSQL + pgvector, hybrid BM25/embedding retrieval) that cut manual customs-document handling time by 43%.",
                        "Introduced an evaluation harness (golden sets, LLM-as-judge with human calibration) that gates every prompt and model change in CI; regressions caught before release rose from 0 to 27 in the first year.",
                        "Cut LLM spend by 58% (from EUR 41k to EUR 17k per month) through prompt caching, model routing between GPT-4-class and small models, and per-tenant token budgets.",
                        "Set up observability for AI workloads: OpenTelemetry traces for every model call, Prometheus/Grafana dashboards for latency, cost and error rates, and PagerDuty alerts on SLO burn.",
                        "Negotiated the data-processing and AI-governance framework with legal and the DPO to keep all features GDPR-compliant and ready for the EU AI Act.",
                        "Hired and mentored 6 engineers; two were promoted to senior within 18 months.",
                    ],
                ),
            ),
            Role(
                title="Staff Machine Learning Engineer",
                employer="Lumen Freight GmbH",
                location="Berlin",
                start="2020-01",
                end="2022-02",
                bullets=_bullets(
                    "r1",
                    [
                        "Led the ETA-prediction platform (gradient-boosted models + streaming features on Kafka) serving 25M predictions per day at p99 latency under 80 ms.",
                        "Migrated model training from ad-hoc notebooks to a reproducible MLOps stack (MLflow, Airflow, Docker, Kubernetes), reducing time from experiment to production from six weeks to four days.",
                        "Defined the company's feature-store design and data contracts with the data-platform team.",
                        "Reduced cloud cost of the ML platform by 35% by right-sizing GPU nodes and moving batch scoring to spot instances.",
                    ],
                ),
            ),
            Role(
                title="Senior Software Engineer, Data",
                employer="Parcelwise",
                location="Amsterdam",
                start="2017-04",
                end="2019-12",
                summary="E-commerce delivery start-up, acquired in 2020.",
                bullets=_bullets(
                    "r2",
                    [
                        "Built the event-driven tracking pipeline (Python, Kafka, PostgreSQL) that processed 4M parcel events per day with exactly-once delivery to customer notifications.",
                        "Designed the first fraud-detection model for delivery claims (logistic regression, later XGBoost), saving an estimated EUR 600k per year.",
                        "Owned the public REST API (Flask, later FastAPI) used by 300 merchant integrations; introduced versioning, rate limiting and OpenAPI-generated SDKs.",
                        "Ran the on-call rotation and wrote the incident-review process still in use after the acquisition.",
                    ],
                ),
            ),
            Role(
                title="Software Engineer",
                employer="Datapoint Analytics",
                location="Madrid",
                start="2015-02",
                end="2017-03",
                summary="Analytics consultancy for retail clients.",
                bullets=_bullets(
                    "r3",
                    [
                        "Delivered demand-forecasting models for three grocery chains (Python, pandas, scikit-learn) improving forecast accuracy by 12–18% over the clients' baselines.",
                        "Automated weekly client reporting with Airflow and Tableau, freeing two analyst days per week.",
                        "Presented findings to client executives and wrote the technical proposals for four follow-up contracts.",
                    ],
                ),
            ),
        ),
        skills=(
            SkillGroup(
                name="Languages",
                items=("Python (expert)", "SQL", "TypeScript", "Go (working knowledge)"),
            ),
            SkillGroup(
                name="AI / ML",
                items=(
                    "LLM application design",
                    "RAG",
                    "prompt engineering",
                    "evaluation",
                    "fine-tuning (LoRA)",
                    "embeddings",
                    "scikit-learn",
                    "XGBoost",
                    "PyTorch",
                ),
            ),
            SkillGroup(
                name="LLM tooling",
                items=(
                    "OpenAI and Anthropic APIs",
                    "LangChain",
                    "LangGraph",
                    "LlamaIndex",
                    "pgvector",
                    "Qdrant",
                    "Langfuse",
                ),
            ),
            SkillGroup(
                name="Data & platforms",
                items=("PostgreSQL", "Kafka", "Airflow", "MLflow", "dbt", "Redis"),
            ),
            SkillGroup(
                name="Cloud & infrastructure",
                items=(
                    "AWS (ECS, Lambda, S3, Bedrock, SageMaker)",
                    "GCP (BigQuery, Vertex AI)",
                    "Docker",
                    "Kubernetes",
                    "Terraform",
                    "GitHub Actions",
                ),
            ),
            SkillGroup(
                name="Observability",
                items=("OpenTelemetry", "Prometheus", "Grafana", "Sentry", "PagerDuty"),
            ),
            SkillGroup(
                name="Leadership",
                items=(
                    "hiring",
                    "mentoring",
                    "roadmap planning",
                    "stakeholder management",
                    "vendor negotiation",
                ),
            ),
            SkillGroup(
                name="Languages spoken",
                items=("English (fluent)", "Spanish (native)", "German (B2)"),
            ),
        ),
        education=(
            "M.Sc. Computer Science (Machine Learning) — Universidad Politécnica de Madrid · 2014",
            "B.Sc. Computer Engineering — Universidad de Sevilla · 2012",
        ),
        certifications=(
            "AWS Certified Solutions Architect – Associate (2021)",
            "Google Professional Machine Learning Engineer (2020)",
        ),
        projects=(
            Bullet(
                id="p0",
                text="**tokenmeter** (open source): a small Python library that attributes LLM token spend to features and tenants; 900 GitHub stars.",
            ),
            Bullet(
                id="p1",
                text='Speaker, PyData Berlin 2023: "Budgets, not vibes: running LLM features at a fixed monthly cost".',
            ),
        ),
    )


def frontend_cv() -> MasterCV:
    """The poor-fit sample CV (master-cv-frontend.md): a front-end engineer."""
    return MasterCV(
        source="master-cv-frontend.md",
        name="Priya Natarajan",
        contact="Lisbon, Portugal · priya.n@example.net · linkedin.com/in/priya-natarajan-example",
        summary=(
            "Front-end engineer with six years of experience building accessible, fast web "
            "interfaces for e-commerce and media companies."
        ),
        roles=(
            Role(
                title="Senior Front-end Engineer",
                employer="Tessera Media",
                location="Lisbon",
                start="2021-06",
                end="present",
                bullets=_bullets(
                    "r0",
                    [
                        "Rebuilt the article reader in React and TypeScript, improving Largest Contentful Paint from 3.9 s to 1.6 s on mobile.",
                        "Led the move to a shared design system (Storybook, 140 components) adopted by five product teams.",
                        "Raised the WCAG 2.1 AA audit score from 61% to 97% across the main site.",
                        "Mentored three junior engineers and ran the front-end guild's monthly reviews.",
                    ],
                ),
            ),
            Role(
                title="Front-end Engineer",
                employer="Carrinho Online",
                location="Porto",
                start="2018-09",
                end="2021-05",
                bullets=_bullets(
                    "r1",
                    [
                        "Built the checkout flow in Vue.js used by 2M monthly shoppers; checkout conversion rose 8%.",
                        "Introduced Cypress end-to-end tests that cut checkout regressions reported by support by half.",
                        "Worked with the payments team on 3-D Secure integration for four card providers.",
                    ],
                ),
            ),
            Role(
                title="Web Developer",
                employer="Studio Azulejo",
                location="Lisbon",
                start="2017-01",
                end="2018-08",
                bullets=_bullets(
                    "r2",
                    [
                        "Delivered 20+ marketing sites for hospitality clients with WordPress and vanilla JavaScript.",
                    ],
                ),
            ),
        ),
        skills=(
            SkillGroup(
                name="Languages", items=("TypeScript", "JavaScript", "HTML", "CSS", "some Python")
            ),
            SkillGroup(
                name="Frameworks",
                items=("React", "Next.js", "Vue.js", "Storybook", "Tailwind CSS"),
            ),
            SkillGroup(name="Testing", items=("Jest", "Cypress", "Playwright", "axe-core")),
            SkillGroup(
                name="Other",
                items=("web performance", "accessibility (WCAG)", "design systems", "Figma"),
            ),
        ),
        education=("B.Sc. Informatics Engineering — Universidade do Minho · 2016",),
    )


def ml_lead_jd() -> ExtractedJD:
    """A hand-built posting for an applied-AI engineering lead (fits the leader CV)."""
    sentences = (
        "Acme Logistics is a fast-growing logistics platform looking for a Head of AI Engineering.",
        "You will build our applied AI team from scratch as our first AI hire.",
        "Lead and mentor a team of machine learning engineers.",
        "Design and scale production LLM systems with retrieval-augmented generation on PostgreSQL.",
        "Reduce LLM inference cost and make model quality measurable with evaluation pipelines.",
        "Migrate legacy batch scoring to a modern MLOps platform on Kubernetes.",
        "Own observability and reliability of AI services.",
        "Success means reducing manual document handling time by a measurable margin within 12 months.",
        "Without this role, our AI roadmap stalls and compliance risks under GDPR grow.",
        "We offer 30 days of holiday and a learning budget.",
    )
    return ExtractedJD(
        title="Head of AI Engineering",
        company="Acme Logistics",
        location="Berlin, Germany",
        role_category="head_of_engineering",
        seniority="director",
        remote_policy="hybrid",
        responsibilities=(
            "Lead and mentor a team of machine learning engineers",
            "Design and scale production LLM systems with retrieval-augmented generation on PostgreSQL",
            "Reduce LLM inference cost and make model quality measurable with evaluation pipelines",
            "Migrate legacy batch scoring to a modern MLOps platform on Kubernetes",
            "Own observability and reliability of AI services",
        ),
        qualifications=(
            "8+ years of experience in software or machine learning engineering",
            "Strong Python and SQL skills",
            "Experience with Kafka and Airflow",
            "Master's degree in Computer Science or a related field",
        ),
        nice_to_haves=("Experience with Rust", "Familiarity with the EU AI Act"),
        technical_skills=("Python", "SQL", "PostgreSQL", "Kubernetes", "Kafka", "Airflow", "Rust"),
        soft_skills=("leadership", "communication"),
        top_keywords=("LLM", "MLOps", "evaluation", "observability", "mentoring"),
        years_experience=8,
        education="Master's degree in Computer Science",
        industry="Logistics",
        sentences=sentences,
    )


def frontend_jd() -> ExtractedJD:
    """A hand-built posting for a front-end engineer (fits the front-end CV)."""
    sentences = (
        "Shopline is hiring a Senior Front-end Engineer to modernise our legacy storefront.",
        "Rebuild the checkout in React and TypeScript and improve Core Web Vitals.",
        "Improve accessibility to WCAG 2.1 AA across the site.",
        "Build and own a shared design system in Storybook.",
        "Write end-to-end tests with Cypress or Playwright.",
    )
    return ExtractedJD(
        title="Senior Front-end Engineer",
        company="Shopline",
        seniority="senior",
        role_category="senior_engineer",
        responsibilities=sentences[1:],
        qualifications=("5+ years of front-end experience", "Expert in React and TypeScript"),
        technical_skills=("React", "TypeScript", "Storybook", "Cypress", "Playwright"),
        top_keywords=("accessibility", "design system", "performance"),
        years_experience=5,
        sentences=sentences,
    )


@cache
def sample_jds() -> tuple[ExtractedJD, ...]:
    """The 53 sample postings, ingested and extracted by the deterministic stages."""
    from jobintel.analysis.extraction import extract_jd
    from jobintel.inputs.dedupe import normalise_posting
    from jobintel.inputs.postings import load_postings

    loaded = load_postings([SAMPLES / "jobs.jsonl"])
    assert not loaded.errors, loaded.errors
    return tuple(extract_jd(normalise_posting(raw)) for raw in loaded.postings)
