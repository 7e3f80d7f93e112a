"""Word lists of the demo data (rapport.services.demo_data): names, places, companies, phrases.

Every person and company here is fictitious. Phone patterns were checked with ``phonenumbers``
(``#`` = any digit, ``N`` = 2..9); the generator still verifies every number it makes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    """Where a customer lives: names, addresses and phone numbers that fit together."""

    country: str  # ISO 3166-1 alpha-2
    weight: int  # share of the customers
    given: tuple[str, ...]
    family: tuple[str, ...]
    cities: tuple[tuple[str, str, str], ...]  # (city, region, postal code pattern)
    streets: tuple[str, ...]
    line1: str  # format of address_line1, with {street} and {number}
    phones: tuple[str, ...]  # E.164 patterns
    companies: tuple[str, ...]
    titles: tuple[str, ...]


_TITLES = (
    "Head of Procurement", "Operations Manager", "IT Director", "Office Manager", "Founder",
    "Finance Controller", "Purchasing Lead", "CTO", "Customer Success Lead", "Managing Director",
)

LOCALES: tuple[Locale, ...] = (
    Locale(
        country="US", weight=30,
        given=("James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "José", "Emily"),
        family=("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "García", "Wilson", "O'Neil"),
        cities=(("New York", "NY", "100##"), ("San Francisco", "CA", "941##"), ("Chicago", "IL", "606##"),
                ("Boston", "MA", "021##"), ("Seattle", "WA", "981##"), ("Austin", "TX", "787##")),
        streets=("Maple Avenue", "Oak Street", "Market Street", "Elm Drive", "Harbor Road"),
        line1="{number} {street}",
        phones=("+1212N######", "+1415N######", "+1312N######", "+1617N######", "+1206N######", "+1512N######"),
        companies=("Bluefin Logistics Inc.", "Kestrel Analytics LLC", "Maple Row Foods", "Ironbridge Tools Co.",
                   "Lakeshore Dental Group", "Summit Ridge Outfitters"),
        titles=_TITLES,
    ),
    Locale(
        country="CN", weight=25,
        given=("伟", "芳", "娜", "秀英", "敏", "静", "磊", "强", "洋", "婷"),
        family=("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴"),
        cities=(("北京", "北京市", "1000##"), ("上海", "上海市", "2000##"), ("深圳", "广东省", "5180##"),
                ("杭州", "浙江省", "3100##"), ("成都", "四川省", "6100##")),
        streets=("人民路", "中山路", "解放路", "建设路", "和平路"),  # found in every Chinese city
        line1="{street}{number}号",
        phones=("+86138########", "+86139########", "+86186########", "+86135########"),
        companies=("星河科技有限公司", "青松贸易有限公司", "云帆物流有限公司", "金桥电子有限公司",
                   "华信咨询有限公司", "长风软件有限公司"),
        titles=("采购经理", "总经理", "技术总监", "运营主管", "财务经理"),
    ),
    Locale(
        country="DE", weight=15,
        given=("Lukas", "Anna", "Jürgen", "Sophie", "Matthias", "Lena", "Jörg", "Katrin"),
        family=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Schäfer"),
        cities=(("Berlin", "Berlin", "10###"), ("München", "Bayern", "80###"), ("Hamburg", "Hamburg", "20###"),
                ("Köln", "Nordrhein-Westfalen", "50###")),
        streets=("Hauptstraße", "Lindenallee", "Bahnhofstraße", "Gartenweg"),
        line1="{street} {number}",
        phones=("+49151########", "+49152########", "+49171########", "+49176########", "+4930########"),
        companies=("Bergmann Maschinenbau GmbH", "Rheinblick Logistik GmbH", "Alpenglanz Reisen GmbH",
                   "Nordlicht Medien GmbH"),
        titles=_TITLES,
    ),
    Locale(
        country="GB", weight=15,
        given=("Oliver", "Amelia", "Harry", "Isla", "George", "Zoë", "Jack", "Siobhán"),
        family=("Taylor", "Evans", "Thomas", "Roberts", "Walker", "Wright", "Hughes", "Edwards"),
        cities=(("London", "England", "EC1A #@@"), ("Manchester", "England", "M# #@@"),
                ("Edinburgh", "Scotland", "EH# #@@"), ("Cardiff", "Wales", "CF## #@@")),
        streets=("High Street", "Station Road", "Church Lane", "Victoria Road"),
        line1="{number} {street}",
        phones=("+4474########", "+44207#######", "+44161#######"),
        companies=("Thistle & Crown Ltd", "Pennyworth Consulting Ltd", "Greenhill Garden Supplies",
                   "Harbourside Print Ltd"),
        titles=_TITLES,
    ),
    Locale(
        country="FR", weight=15,
        given=("Camille", "Léa", "Hélène", "Théo", "Louis", "Chloé", "François", "Inès"),
        family=("Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Fontaine", "Roux"),
        cities=(("Paris", "Île-de-France", "750##"), ("Lyon", "Auvergne-Rhône-Alpes", "690##"),
                ("Marseille", "Provence-Alpes-Côte d'Azur", "130##"), ("Bordeaux", "Nouvelle-Aquitaine", "330##")),
        streets=("rue de la Paix", "avenue des Tilleuls", "boulevard Voltaire", "rue du Moulin"),
        line1="{number} {street}",
        phones=("+331########",),
        companies=("Atelier Lumière SARL", "Boulangerie Fontaine & Fils", "Vignobles du Sud SAS",
                   "Éditions Papillon"),
        titles=_TITLES,
    ),
)

# Romanization of the Chinese characters above, for e-mail addresses.
PINYIN = {
    "伟": "wei", "芳": "fang", "娜": "na", "秀": "xiu", "英": "ying", "敏": "min", "静": "jing", "磊": "lei",
    "强": "qiang", "洋": "yang", "婷": "ting", "王": "wang", "李": "li", "张": "zhang", "刘": "liu",
    "陈": "chen", "杨": "yang", "黄": "huang", "赵": "zhao", "周": "zhou", "吴": "wu", "丽": "li",
    "军": "jun", "孙": "sun",
}

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

TAGS = ("newsletter", "trade-show", "referral", "enterprise", "smb", "partner", "webinar", "priority-support")

# (code, name) in id order.
DEPARTMENTS = (("sales", "Sales"), ("support", "Support"), ("marketing", "Marketing"),
               ("finance", "Finance"), ("vip", "VIP Accounts"))
DEPARTMENT_WEIGHTS = {"sales": 35, "support": 30, "marketing": 15, "finance": 8, "vip": 12}

# (email, given, family, department code or None, role grant) of the agents people log in as.
PERSONAS = (
    ("admin@demo.example.com", "Morgan", "Lee", None, "admin@*"),
    ("security@demo.example.com", "Sam", "Rivera", None, "security-admin@*"),
    ("sales.rep@demo.example.com", "José", "García", "sales", "agent@sales"),
    ("sales.lead@demo.example.com", "娜", "李", "sales", "manager@sales"),
    ("support.rep@demo.example.com", "芳", "王", "support", "agent@support"),
    ("analyst@demo.example.com", "Zoë", "Martin", "marketing", "analyst@*"),
)

# (given, family, department code, active) of the other agents, each agent@<department>.
AGENTS = (
    ("Priya", "Shah", "sales", True), ("Tom", "Becker", "sales", True), ("伟", "张", "sales", True),
    ("Chloé", "Dubois", "sales", True), ("Marcus", "Hill", "sales", False),
    ("丽", "刘", "support", True), ("Jürgen", "Weber", "support", True), ("Aisha", "Khan", "support", True),
    ("Ben", "Carter", "support", True), ("Inès", "Moreau", "support", True),
    ("Nora", "Lindqvist", "marketing", True), ("Hugo", "Lambert", "marketing", True),
    ("军", "孙", "marketing", False),
    ("Grace", "Okafor", "finance", True), ("Felix", "Braun", "finance", True), ("Emma", "Clarke", "finance", True),
    ("静", "陈", "vip", True), ("Søren", "Nielsen", "vip", True), ("Lucía", "Fernández", "vip", True),
    ("William", "Ashford", "vip", True),
)

INTERACTION_SUBJECTS = (
    "Intro call", "Follow-up on quote", "Product demo", "Renewal discussion", "Invoice question",
    "Onboarding check-in", "Feature request", "Quarterly review", "Support follow-up", "Pricing inquiry",
    "Contract signed", "Trade show meeting",
)
SENTENCES = (
    "Customer asked for an updated price list.", "We walked through the new reporting features.",
    "They are comparing us with two other vendors.", "Agreed to send a proposal by Friday.",
    "The team is happy with the onboarding so far.", "Budget approval is expected next quarter.",
    "They asked about volume discounts.", "Left a voicemail, will try again tomorrow.",
    "Shared the case study from a similar customer.", "The decision maker joined the call this time.",
)

TICKET_CATEGORIES = ("billing", "technical", "account", "shipping", "other")
TICKET_SUBJECTS = {
    "billing": ("Invoice shows the wrong amount", "Refund not received", "Charged twice this month",
                "Need a copy of last year's invoices"),
    "technical": ("Cannot log in to the portal", "Export to CSV fails", "API returns 500 errors",
                  "Calendar sync stopped working"),
    "account": ("Change the account owner", "Add a new user to our plan", "Update our company address",
                "Close one of our sub-accounts"),
    "shipping": ("Order has not arrived", "Package arrived damaged", "Wrong item delivered",
                 "Change the delivery address"),
    "other": ("Question about data retention", "Request for a roadmap call", "Feedback on the new design"),
}
TICKET_DESCRIPTIONS = (
    "Could you please look into this as soon as possible?", "This has happened twice now.",
    "Several people on our team are affected.", "Details and screenshots are attached.",
    "Please call me back if you need more information.",
)
TICKET_COMMENTS = (
    "Asked the customer for more details.", "Reproduced the issue on our side.",
    "Escalated internally to the product team.", "Customer confirmed the workaround works.",
    "Waiting for the courier's reply.", "Sent the corrected document.",
)
WORK_LOGS = ("Investigated the logs.", "Called the customer.", "Prepared the credit note.",
             "Checked the shipment status.", "Updated the account settings.")
SATISFACTION_COMMENTS = ("Quick and friendly help.", "Took longer than I hoped.", "Problem solved, thanks!",
                         "Very professional.", "Had to explain the issue twice.")
