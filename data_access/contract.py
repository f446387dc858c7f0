"""The snapshot data contract (version 1) as code: tables, columns, codes, measures and roles.

Everything here mirrors ``shared/data-contract.md``; the validator, the figures, the demo generator and the
"About the data" page all read these constants, so the rules are written down exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:  # pyarrow is imported only where an Arrow type is needed (not by `report`, issue 14)
    import pyarrow as pa

SCHEMA_VERSION: Final = "1"
PROGRAMME_NAME: Final = "AllChild Impact Programmes - Wigan"
MANIFEST_NAME: Final = "manifest.json"


@dataclass(frozen=True)
class Column:
    """One required column of a snapshot table."""

    name: str
    arrow_type_name: str  # a pyarrow type factory: "string", "date32", "int8", "bool_" ...
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    rule: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        """The Arrow type (``pyarrow.<arrow_type_name>()``)."""
        import pyarrow as pa

        return getattr(pa, self.arrow_type_name)()

    @property
    def type_name(self) -> str:
        """The Arrow type as the contract spells it (``string``, ``date32``, ``int8`` ...)."""
        import pyarrow as pa

        return "date32" if pa.types.is_date32(self.arrow_type) else str(self.arrow_type)


TOWNSHIPS: Final = (
    "Leigh", "Atherton", "Tyldesley", "Wigan", "Ashton-in-Makerfield", "Hindley", "Ince-in-Makerfield",
    "Golborne", "Lowton", "Orrell", "Shevington", "Standish", "Aspull", "Astley", "Abram", "Bryn",
    "Haigh", "Worsley Mesnes", "Pemberton", "Winstanley", "Platt Bridge", "Billinge",
)  # fmt: skip
PHASES: Final = ("primary", "secondary", "all-through")
SEXES: Final = ("female", "male", "not recorded")
SEN_PROVISIONS: Final = ("none", "sen_support", "ehcp")
EXIT_REASONS: Final = ("completed", "moved_school", "withdrew", "other")
SESSIONS: Final = ("AM", "PM")
SERVICES: Final = ("camhs", "early_help", "childrens_social_care", "school_nursing", "community", "other")
REFERRAL_REASONS: Final = (
    "mental_health", "behaviour", "safeguarding", "neurodevelopmental", "family_support", "other",
)  # fmt: skip
SUSPENSION_KINDS: Final = ("suspension", "permanent_exclusion")
WAVES: Final = ("baseline", "review", "exit")

# Section 3: national attendance codes by category.
PRESENT_CODES: Final = ("/", "\\", "L", "K", "V", "P", "W", "B")
AUTHORISED_CODES: Final = ("C", "C1", "C2", "E", "I", "M", "J1", "S", "T", "R")
UNAUTHORISED_CODES: Final = ("G", "N", "O", "U")
NOT_POSSIBLE_CODES: Final = ("D", "X", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#", "Q")
ABSENT_CODES: Final = AUTHORISED_CODES + UNAUTHORISED_CODES
POSSIBLE_CODES: Final = PRESENT_CODES + ABSENT_CODES
ALL_CODES: Final = POSSIBLE_CODES + NOT_POSSIBLE_CODES
CODE_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "present": PRESENT_CODES,
    "authorised absence": AUTHORISED_CODES,
    "unauthorised absence": UNAUTHORISED_CODES,
    "not a possible session": NOT_POSSIBLE_CODES,
}

S = "string"
D = "date32"

TABLES: Final[dict[str, tuple[Column, ...]]] = {
    "schools": (
        Column("school_id", S, rule="unique, non-empty"),
        Column("school_name", S, rule="non-empty"),
        Column("township", S, allowed=TOWNSHIPS, rule="a Wigan township"),
        Column("phase", S, allowed=PHASES),
    ),
    "children": (
        Column("child_id", S, rule="unique, non-empty, pseudonymous"),
        Column("school_id", S, rule="must exist in schools"),
        Column("year_group", "int8", rule="0 (Reception) to 13"),
        Column("sex", S, allowed=SEXES),
        Column("fsm_eligible", "bool_"),
        Column("sen_provision", S, allowed=SEN_PROVISIONS),
        Column("identified_date", D),
        Column("enrolled_date", D, nullable=True, rule="null, or on or after identified_date"),
        Column("exit_date", D, nullable=True, rule="null, or on or after enrolled_date"),
        Column(
            "exit_reason", S, nullable=True, allowed=EXIT_REASONS, rule="null exactly when exit_date is null"
        ),
    ),
    "attendance": (
        Column("child_id", S, rule="must exist in children"),
        Column("date", D, rule="a weekday"),
        Column("session", S, allowed=SESSIONS, rule="(child_id, date, session) unique"),
        Column("code", S, allowed=ALL_CODES, rule="a national attendance code"),
    ),
    "referrals": (
        Column("referral_id", S, rule="unique"),
        Column("child_id", S, rule="must exist in children"),
        Column("referral_date", D),
        Column("service", S, allowed=SERVICES),
        Column("reason", S, allowed=REFERRAL_REASONS),
    ),
    "suspensions": (
        Column("event_id", S, rule="unique"),
        Column("child_id", S, rule="must exist in children"),
        Column("start_date", D),
        Column("kind", S, allowed=SUSPENSION_KINDS),
        Column("sessions", "int16", rule="at least 1"),
    ),
    "assessments": (
        Column("child_id", S, rule="must exist in children"),
        Column("assessment_date", D),
        Column("wave", S, allowed=WAVES),
        Column("measure", S, rule="a measure of the contract"),
        Column("score", "float64", rule="within the measure's range"),
    ),
}
TABLE_FILES: Final = {name: f"{name}.parquet" for name in TABLES}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema a table is written with (used by the demo generator and tests)."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in TABLES[table]])


@dataclass(frozen=True)
class Measure:
    """An assessment measure: its range, which direction is better and what change is meaningful."""

    name: str
    label: str
    low: float
    high: float
    higher_is_better: bool
    meaningful_change: float


MEASURES: Final[dict[str, Measure]] = {
    m.name: m
    for m in (
        Measure("sdq_total", "SDQ total difficulties (teacher)", 0, 40, False, 3),
        Measure("sdq_prosocial", "SDQ prosocial scale (teacher)", 0, 10, True, 2),
        Measure("wellbeing", "Stirling Children's Wellbeing Scale", 12, 60, True, 3),
        Measure("reading", "Reading (teacher assessment)", 1, 4, True, 1),
        Measure("writing", "Writing (teacher assessment)", 1, 4, True, 1),
        Measure("maths", "Maths (teacher assessment)", 1, 4, True, 1),
    )
}
ATTAINMENT_LEVELS: Final = {
    1: "well below expected",
    2: "below expected",
    3: "at expected",
    4: "above expected",
}
# SDQ teacher-rated total difficulties bands (four-band categorisation, sdqinfo.org).
SDQ_TOTAL_BANDS: Final = (
    ("close to average", 0, 11),
    ("slightly raised", 12, 15),
    ("high", 16, 18),
    ("very high", 19, 40),
)

Role = Literal["councillor", "commissioner", "allchild", "admin"]
ROLES: Final[tuple[Role, ...]] = ("councillor", "commissioner", "allchild", "admin")
SUPPRESSION_FOOTNOTE: Final = (
    "Figures are adjusted slightly (by up to 3) to protect children's privacy, so parts may not add up to "
    "totals. c = fewer than 5."
)
"""The footnote under every protected table or chart (contract section 6, word for word)."""
EXACT_FOOTNOTE: Final = "Exact figures — internal use only"
"""What exact outputs (``allchild``, ``admin``) say (contract section 6)."""
DISCLOSURE_EXPLANATION: Final = (
    "Councillors, commissioners and public board papers see figures protected by the cell key method, as the "
    "Office for National Statistics does for the Census: every count of children or events is moved up or "
    "down by a small amount (at most 3, and on average not at all), decided by a secret key, so the same "
    "group of children always gets the same figure wherever it appears. A count that would be shown below 5 "
    "is shown as c. Rates and percentages are worked out from the adjusted counts and shown only for groups "
    "of at least 10 children. Choices are limited to academic years and terms, one school, one township or "
    "all schools, and at most one characteristic, so that nobody can work out a small number by comparing "
    "many views. This is why parts may not add up to their totals."
)
"""The plain-English explanation of the adjustment (About page, board pack)."""
