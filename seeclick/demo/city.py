"""The demo city, New York: agencies, their departments and the categories they handle.

Departments follow the real agencies' field organisation: transportation, parks, buildings and
housing by borough; sanitation by community district; police by precinct. Each agency also has a
city-wide desk that takes what no local office covers (a category's fallback). SLA targets are
in hours, close to the agencies' published service levels.
"""

from dataclasses import dataclass, field

TIMEZONE = "America/New_York"  # the city's clock: people report by local time of day

BOROUGHS = {1: ("mn", "Manhattan"), 2: ("bx", "Bronx"), 3: ("bk", "Brooklyn"), 4: ("qn", "Queens"),
            5: ("si", "Staten Island")}

AGENCIES = {
    # code: (city-wide desk name, how it is organised locally)
    "dot": ("Department of Transportation", "borough"),
    "dsny": ("Department of Sanitation", "community district"),
    "nypd": ("Police Department (non-emergency)", "precinct"),
    "parks": ("Department of Parks and Recreation", "borough"),
    "dep": ("Department of Environmental Protection", None),
    "dob": ("Department of Buildings", "borough"),
    "hpd": ("Department of Housing Preservation and Development", "borough"),
    "dohmh": ("Department of Health and Mental Hygiene", None),
    "311": ("NYC 311 Customer Service Center", None),
}

BOROUGH_AGENCY_NAMES = {
    "dot": "DOT {borough} Borough Office",
    "parks": "Parks {borough}",
    "dob": "DOB {borough} Borough Office",
    "hpd": "HPD {borough} Code Enforcement",
}


def borough_department_code(agency: str, borough_code: int) -> str:
    return f"{agency}-{BOROUGHS[borough_code][0]}"


def sanitation_department_code(boro_cd: int) -> str:
    """Sanitation district code from a community district number such as 404 (Queens 4)."""
    return f"dsny-{BOROUGHS[boro_cd // 100][0]}{boro_cd % 100:02d}"


def precinct_department_code(precinct: int) -> str:
    return f"nypd-{precinct:03d}"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True)
class Question:
    code: str
    prompt: str
    datatype: str = "string"
    required: bool = False
    values: tuple[tuple[str, str], ...] = ()
    private: bool = False  # staff only: it would say who reported, or who is reported


@dataclass(frozen=True)
class CategorySpec:
    code: str
    name: str
    group: str
    agency: str  # local departments of this agency handle it; its city-wide desk is the fallback
    sla_hours: int
    description: str
    keywords: tuple[str, ...] = ()
    questions: tuple[Question, ...] = field(default=())
    local: bool = True  # False: only the agency's city-wide desk handles it
    # For generated reports: relative frequency, median hours to close, share eventually closed.
    weight: float = 1.0
    median_close_hours: float = 72.0
    closed_share: float = 0.9


YES_NO = (("yes", "Yes"), ("no", "No"))

CATEGORIES = (
    CategorySpec("pothole", "Pothole", "Streets and sidewalks", "dot", 240,
                 "A hole or sunken patch in the roadway.", ("road", "hole", "asphalt"),
                 (Question("size", "How big is it?", "singlevaluelist", True,
                           (("small", "Smaller than a plate"), ("medium", "Up to a metre across"),
                            ("large", "Larger than a metre"))),),
                 weight=6, median_close_hours=150, closed_share=0.93),
    CategorySpec("street-light-out", "Street light out", "Streets and sidewalks", "dot", 240,
                 "A street light that is dark, flickering or on all day.", ("lamp", "light", "dark"),
                 (Question("pole_number", "Number on the pole, if you can see one"),),
                 weight=4, median_close_hours=170),
    CategorySpec("traffic-signal", "Traffic signal not working", "Streets and sidewalks", "dot", 24,
                 "A signal that is dark, stuck or damaged.", ("traffic light", "signal"),
                 weight=2, median_close_hours=6, closed_share=0.97),
    CategorySpec("broken-sidewalk", "Broken sidewalk", "Streets and sidewalks", "dot", 1440,
                 "Cracked, raised or missing sidewalk flags.", ("pavement", "trip"),
                 weight=2, median_close_hours=600, closed_share=0.7),
    CategorySpec("street-sign", "Missing or damaged street sign", "Streets and sidewalks", "dot", 336,
                 "A street name or traffic sign that is missing, bent or unreadable.", ("sign",),
                 weight=1.5, median_close_hours=150),
    CategorySpec("missed-collection", "Missed trash or recycling collection", "Sanitation", "dsny", 48,
                 "Garbage or recycling set out on the right day and not collected.", ("garbage", "bins"),
                 (Question("material", "What was missed?", "singlevaluelist", True,
                           (("trash", "Trash"), ("recycling", "Recycling"), ("organics", "Compost"))),),
                 weight=5, median_close_hours=48, closed_share=0.95),
    CategorySpec("illegal-dumping", "Illegal dumping", "Sanitation", "dsny", 120,
                 "Furniture, construction debris or bags dumped on the street or a lot.", ("fly-tipping",),
                 weight=3, median_close_hours=110),
    CategorySpec("overflowing-basket", "Overflowing litter basket", "Sanitation", "dsny", 48,
                 "A public litter basket that is full or overflowing.", ("bin", "litter"),
                 weight=2, median_close_hours=40, closed_share=0.95),
    CategorySpec("dirty-lot", "Dirty vacant lot", "Sanitation", "dsny", 336,
                 "A vacant lot full of litter or debris.", ("lot",),
                 weight=1, median_close_hours=240, closed_share=0.8),
    CategorySpec("dead-animal", "Dead animal", "Sanitation", "dsny", 48,
                 "A dead animal on the street or sidewalk.", ("carcass",),
                 weight=0.5, median_close_hours=20, closed_share=0.97),
    CategorySpec("snow-ice", "Uncleared snow or ice", "Sanitation", "dsny", 48,
                 "A street, crosswalk or bus stop not cleared of snow or ice.", ("snow", "ice"),
                 weight=0.8, median_close_hours=36),
    CategorySpec("noise-residential", "Loud music or party", "Noise and quality of life", "nypd", 8,
                 "Loud music, a party or banging from a home.", ("noise", "party", "music"),
                 (Question("where", "Where is the noise coming from?", "singlevaluelist", True,
                           (("building", "A building"), ("street", "The street"), ("vehicle", "A vehicle"))),),
                 weight=5, median_close_hours=2.5, closed_share=0.98),
    CategorySpec("blocked-driveway", "Blocked driveway", "Noise and quality of life", "nypd", 8,
                 "A vehicle blocking a driveway.", ("car", "driveway"),
                 (Question("plate", "Licence plate, if you can see it", private=True),),
                 weight=2.5, median_close_hours=3, closed_share=0.98),
    CategorySpec("illegal-parking", "Illegal parking", "Noise and quality of life", "nypd", 8,
                 "A vehicle parked at a hydrant, in a bus stop, bike lane or crosswalk.", ("parking",),
                 weight=3, median_close_hours=3, closed_share=0.98),
    CategorySpec("abandoned-vehicle", "Abandoned vehicle", "Noise and quality of life", "nypd", 168,
                 "A vehicle that has not moved for weeks, without plates or badly damaged.", ("car", "wreck"),
                 weight=1.5, median_close_hours=60),
    CategorySpec("damaged-tree", "Damaged or fallen tree", "Parks and trees", "parks", 168,
                 "A street tree or limb that is down, hanging or dead.", ("tree", "branch"),
                 (Question("blocking", "Is it blocking the street or sidewalk?", "singlevaluelist", True, YES_NO),),
                 weight=2, median_close_hours=100, closed_share=0.85),
    CategorySpec("park-maintenance", "Park maintenance", "Parks and trees", "parks", 336,
                 "Broken benches, playground equipment or litter in a park.", ("playground", "bench"),
                 weight=1, median_close_hours=200, closed_share=0.8),
    CategorySpec("hydrant", "Leaking or open fire hydrant", "Water and sewers", "dep", 72,
                 "A hydrant that is open, leaking or damaged.", ("water", "leak"), local=False,
                 weight=1, median_close_hours=30, closed_share=0.95),
    CategorySpec("sewer", "Sewer backup or clogged catch basin", "Water and sewers", "dep", 72,
                 "Sewage backing up, or a catch basin clogged so that the street floods.", ("drain", "flood"),
                 local=False, weight=1.5, median_close_hours=48),
    CategorySpec("construction-noise", "After-hours construction noise", "Noise and quality of life", "dep", 168,
                 "Construction noise before 7am, after 6pm or at weekends without a permit.", ("noise",),
                 local=False, weight=1.5, median_close_hours=80, closed_share=0.85),
    CategorySpec("illegal-construction", "Construction without a permit", "Buildings and housing", "dob", 720,
                 "Building work with no permit posted, or unsafe construction.", ("permit", "scaffold"),
                 weight=1, median_close_hours=300, closed_share=0.75),
    CategorySpec("no-heat", "No heat or hot water", "Buildings and housing", "hpd", 24,
                 "A rented home without heat (in season) or hot water.", ("heating", "boiler"),
                 (Question("apartment", "Apartment number", "string", True, private=True),
                  Question("whole_building", "Is the whole building affected?", "singlevaluelist", True, YES_NO)),
                 weight=6, median_close_hours=60, closed_share=0.95),
    CategorySpec("rodents", "Rats or mice", "Health", "dohmh", 336,
                 "Rats or mice seen outside, in a building or a restaurant.", ("rats", "mice"),
                 local=False, weight=2, median_close_hours=180, closed_share=0.85),
    CategorySpec("other", "Something else", "Other", "311", 120,
                 "A problem that fits no other category; 311 sends it to the right agency.", (),
                 local=False, weight=1, median_close_hours=72),
)
