"""Input loaders: job postings and the master CV, read safely and reported clearly."""

from jobintel.inputs.cv import load_cv, parse_markdown_cv, parse_role_heading
from jobintel.inputs.dedupe import (
    content_key,
    dedupe_key,
    linkedin_job_id,
    normalise_posting,
    strip_scrape_tail,
)
from jobintel.inputs.files import MAX_INPUT_BYTES_SETTING, read_text_and_bytes, read_text_file
from jobintel.inputs.json_resume import parse_json_resume
from jobintel.inputs.postings import (
    POSTING_SUFFIXES,
    LoadResult,
    load_postings,
    parse_posting_text,
    posting_from_record,
)

__all__ = [
    "MAX_INPUT_BYTES_SETTING",
    "POSTING_SUFFIXES",
    "LoadResult",
    "content_key",
    "dedupe_key",
    "linkedin_job_id",
    "load_cv",
    "load_postings",
    "normalise_posting",
    "parse_json_resume",
    "parse_markdown_cv",
    "parse_posting_text",
    "parse_role_heading",
    "posting_from_record",
    "read_text_and_bytes",
    "read_text_file",
    "strip_scrape_tail",
]
