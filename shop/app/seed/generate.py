"""A synthetic catalogue of any size for scale tests, shaped exactly like ``catalog.PRODUCTS``.

Names are combinatorial (brand x product line x adjective x product type) over per-department
word lists, so the search vocabulary stays realistic: a few thousand distinct words however
many products are made. Deterministic for a seed, and a generator: 100,000 products are never
held in memory at once.

    python -m app.seed.generate --count 3        # print three sample products as JSON
    python -m app.seed.generate --bench 100000   # time generating 100,000 products
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from app.seed.catalog import (
    CLOTHING_SIZES,
    COLORS,
    CURRENCY,
    DEPARTMENTS,
    SHOE_SIZES,
    draw_stock,
)

MAX_VARIANTS = 12


class _Type(NamedTuple):
    """A kind of product the generator can make."""

    category: str
    noun: str  # e.g. "Running Trainers"; last words of the name
    lo: float  # realistic price range in EUR
    hi: float
    mode: str  # variant layout, see _variants
    brands: str  # key into _BRANDS
    adjectives: str  # key into _ADJECTIVES
    kw: tuple[str, ...] = ()
    units: tuple[str, ...] = ()  # pack sizes put in the name of consumables ("500 g")


_T = _Type

# fmt: off
_BRANDS: dict[str, tuple[str, ...]] = {
    # electronics
    "phone": ("Apple", "Samsung", "Google", "Xiaomi", "OnePlus", "Motorola", "Nokia", "BlackBerry", "Fairphone",
              "Sony", "Oppo", "Honor"),
    "computer": ("Apple", "Lenovo", "Dell", "HP", "ASUS", "Acer", "Microsoft", "MSI", "Samsung", "Huawei"),
    "ereader": ("Amazon Kindle", "Kobo", "PocketBook", "Onyx Boox"),
    "peripheral": ("Logitech", "Razer", "Corsair", "Microsoft", "SteelSeries", "Trust", "Keychron", "Bottega Basics"),
    "monitor": ("Dell", "LG", "Samsung", "ASUS", "BenQ", "AOC", "Philips", "Lenovo"),
    "storage": ("SanDisk", "Samsung", "Crucial", "WD", "Seagate", "Kingston", "LaCie"),
    "network": ("TP-Link", "Netgear", "ASUS", "Linksys", "AVM FRITZ!"),
    "mobileacc": ("Anker", "Belkin", "Spigen", "OtterBox", "Mophie", "Ugreen", "Samsung", "Apple", "Bottega Basics"),
    "audio": ("Sony", "Bose", "JBL", "Sennheiser", "Apple", "Beats", "Marshall", "Bang & Olufsen", "Jabra",
              "Audio-Technica", "Anker Soundcore", "Philips"),
    "soundbar": ("Sonos", "Bose", "Samsung", "Sony", "LG", "JBL", "Yamaha", "Denon"),
    "tv": ("Samsung", "LG", "Sony", "Philips", "Panasonic", "TCL", "Hisense"),
    "streaming": ("Amazon", "Roku", "Google", "Apple"),
    "projector": ("Epson", "BenQ", "Optoma", "XGIMI", "Anker Nebula"),
    "wear": ("Apple", "Samsung", "Garmin", "Fitbit", "Huawei", "Amazfit", "Polar", "Suunto", "Withings"),
    "camera": ("Canon", "Nikon", "Sony", "Fujifilm", "Panasonic", "OM System"),
    "action": ("GoPro", "DJI", "Insta360", "Akaso"),
    "drone": ("DJI", "Parrot", "Potensic", "Holy Stone"),
    "security": ("Ring", "Arlo", "Eufy", "TP-Link Tapo", "Google Nest"),
    "gaming": ("Sony", "Microsoft", "Nintendo", "Razer", "Logitech", "SteelSeries", "Turtle Beach", "8BitDo"),
    # fashion
    "fashion": ("Levi's", "Tommy Hilfiger", "Ralph Lauren", "Lacoste", "Uniqlo", "Mango", "Benetton",
                "Calvin Klein", "Hugo Boss", "Superdry", "Fred Perry", "GANT", "Jack & Jones", "Esprit",
                "Bottega Basics"),
    "outer": ("The North Face", "Patagonia", "Barbour", "Columbia", "Rains", "Canada Goose", "Superdry",
              "Tommy Hilfiger", "Bottega Basics"),
    "trainers": ("Nike", "Adidas", "Puma", "New Balance", "Converse", "Vans", "Reebok", "Veja", "Bottega Basics"),
    "boots": ("Dr. Martens", "Timberland", "Clarks", "Blundstone", "UGG", "Bottega Basics"),
    "sandals": ("Birkenstock", "Teva", "Havaianas", "Bottega Basics"),
    "smartshoes": ("Clarks", "Geox", "Ecco", "G.H. Bass", "Bottega Basics"),
    "knitacc": ("Bottega Basics", "Johnstons of Elgin", "Barbour", "Tommy Hilfiger", "Uniqlo"),
    "bags": ("Fjällräven", "Herschel", "Eastpak", "Samsonite", "Bottega Basics"),
    "eyewear": ("Ray-Ban", "Oakley", "Persol", "Le Specs"),
    # sports
    "running": ("Nike", "Adidas", "Asics", "Puma", "Brooks", "Hoka", "Saucony", "New Balance", "Mizuno",
                "On", "Salomon", "Under Armour", "Kalenji", "Bottega Basics"),
    "weights": ("Bowflex", "Domyos", "Reebok", "JX Fitness", "Bottega Basics"),
    "cardio": ("Concept2", "Schwinn", "Domyos", "NordicTrack", "JTX"),
    "yoga": ("Manduka", "Liforme", "Gaiam", "Lululemon", "Domyos"),
    "activewear": ("Lululemon", "Gymshark", "Nike", "Adidas", "Under Armour", "Sweaty Betty"),
    "helmet": ("Giro", "Specialized", "Bell", "Abus", "Kask", "POC"),
    "bikelight": ("Lezyne", "Cateye", "Knog", "Sigma"),
    "lock": ("Kryptonite", "Abus", "OnGuard", "Hiplok"),
    "pack": ("Osprey", "Deuter", "The North Face", "Mammut", "Quechua"),
    "camp": ("Vango", "Coleman", "Quechua", "MSR", "Big Agnes", "The North Face"),
    "bottle": ("Hydro Flask", "Stanley", "Chilly's", "CamelBak", "Klean Kanteen"),
    "hiking": ("Salomon", "Merrell", "Scarpa", "Lowa", "Meindl", "The North Face"),
    "football": ("Nike", "Adidas", "Puma", "Select", "Mitre"),
    "footballboots": ("Nike", "Adidas", "Puma", "Mizuno", "New Balance"),
    "racket": ("Wilson", "Head", "Babolat", "Yonex", "Prince", "Dunlop", "Tecnifibre"),
    "padel": ("Bullpadel", "Head", "Babolat", "Adidas", "Nox"),
    "swim": ("Speedo", "Arena", "Zoggs", "TYR", "Bottega Basics"),
    # grocery
    "produce": ("Bottega Basics", "Bottega Organic", "Bottega Market", "Valle Verde", "Sunfield Farms"),
    "pasta": ("Barilla", "De Cecco", "Rummo", "Garofalo", "Bottega Basics"),
    "rice": ("Tilda", "Riso Gallo", "Scotti", "Bottega Basics"),
    "tomato": ("Mutti", "Cirio", "Pomì", "Bottega Basics"),
    "oil": ("Filippo Berio", "Bertolli", "Carapelli", "Monini", "Bottega Basics"),
    "spread": ("Bonne Maman", "St Dalfour", "Whole Earth", "Skippy", "Bottega Basics"),
    "cereal": ("Kellogg's", "Quaker", "Jordans", "Dorset Cereals", "Bottega Basics"),
    "milk": ("Arla", "Parmalat", "Granarolo", "Bottega Basics"),
    "yoghurt": ("Fage", "Danone", "Müller", "Yoplait", "Bottega Basics"),
    "cheese": ("Galbani", "Président", "Granarolo", "Bottega Basics"),
    "plantmilk": ("Alpro", "Oatly", "Bottega Basics"),
    "water": ("S.Pellegrino", "San Benedetto", "Evian", "Vittel", "Bottega Basics"),
    "juice": ("Tropicana", "Innocent", "Pago", "Bottega Basics"),
    "beer": ("Peroni", "Heineken", "Birra Moretti", "Beck's", "Estrella Damm"),
    "wine": ("Antinori", "Ruffino", "Frescobaldi", "Marqués de Riscal", "Torres", "Masi"),
    "coffee": ("Lavazza", "Illy", "Kimbo", "Segafredo", "Bottega Basics"),
    "tea": ("Twinings", "Lipton", "Clipper", "Pukka", "Bottega Basics"),
    "chocolate": ("Lindt", "Milka", "Ritter Sport", "Green & Black's", "Bottega Basics"),
    "biscuits": ("Mulino Bianco", "Loacker", "McVitie's", "Lotus", "Bottega Basics"),
    "crisps": ("Pringles", "Walkers", "Kettle", "San Carlo", "Bottega Basics"),
    # home
    "textile": ("Bottega Basics", "Bottega Casa", "Christy", "Hay", "Ferm Living", "Society Limonta"),
    "cookware": ("Le Creuset", "Tefal", "WMF", "Lodge", "Staub", "Bottega Casa"),
    "knives": ("Zwilling", "Wüsthof", "Victorinox", "Global"),
    "tableware": ("Bottega Casa", "Hemlund", "Villeroy & Boch", "Alessi", "Denby"),
    "coffeemachine": ("Nespresso", "De'Longhi", "Krups", "Sage", "Philips", "SMEG"),
    "smallappliance": ("Philips", "Russell Hobbs", "SMEG", "Tefal", "Kenwood", "Ninja", "Braun", "Bosch",
                       "KitchenAid", "De'Longhi"),
    "vacuum": ("Dyson", "Shark", "Bosch", "Miele", "Vax"),
    "robotvac": ("iRobot", "Roborock", "Ecovacs", "Shark", "Dyson"),
    "furniture": ("Bottega Casa", "Hemlund", "Kave Home", "Hay", "Muuto", "Vitra"),
    "officechair": ("Herman Miller", "Steelcase", "FlexiSpot", "Hemlund"),
    "lighting": ("Anglepoise", "Philips Hue", "Muuto", "Hay", "Louis Poulsen", "Hemlund"),
    "candle": ("Yankee Candle", "Diptyque", "Jo Malone London", "Bottega Casa"),
    "decor": ("Bottega Casa", "Hemlund", "Ferm Living", "Hay"),
    # beauty
    "skincare": ("La Roche-Posay", "CeraVe", "The Ordinary", "Clinique", "Nivea", "Garnier", "Bioderma",
                 "Eucerin", "Avène", "Vichy", "Kiehl's", "Elemis", "L'Oréal Paris", "Neutrogena"),
    "haircare": ("L'Oréal Paris", "Kérastase", "Olaplex", "Pantene", "Head & Shoulders", "Garnier", "Aussie",
                 "Schwarzkopf", "Redken", "Moroccanoil"),
    "hairtools": ("Dyson", "ghd", "Remington", "BaByliss", "Philips"),
    "makeup": ("Maybelline", "L'Oréal Paris", "MAC", "NYX", "Charlotte Tilbury", "Benefit", "Rimmel",
               "Fenty Beauty", "Estée Lauder", "KIKO Milano", "Essence"),
    "fragrance": ("Chanel", "Dior", "Yves Saint Laurent", "Armani", "Hugo Boss", "Calvin Klein",
                  "Jo Malone London", "Acqua di Parma", "Lancôme", "Prada", "Gucci"),
    "vitamins": ("Solgar", "Centrum", "Seven Seas", "Vitabiotics", "Nature's Bounty", "Bottega Basics"),
    "protein": ("Optimum Nutrition", "MyProtein", "Bulk", "Bottega Basics"),
    "oral": ("Oral-B", "Philips Sonicare", "Colgate", "Sensodyne", "Elmex"),
    "shave": ("Philips", "Braun", "Gillette", "Wilkinson Sword", "Remington"),
    "deo": ("Dove", "Nivea Men", "Rexona", "Sure", "Bottega Basics"),
    # pets
    "catfood": ("Whiskas", "Felix", "Sheba", "Royal Canin", "Purina ONE", "Hill's Science Plan", "Applaws",
                "Lily's Kitchen", "Bottega Basics"),
    "cattreats": ("Dreamies", "Whiskas", "Felix", "Bottega Basics"),
    "litter": ("Catsan", "Ever Clean", "Sanicat", "Bottega Basics"),
    "catgear": ("Trixie", "Catit", "Petstages", "Kong", "Ferplast", "Bottega Basics"),
    "dogfood": ("Pedigree", "Royal Canin", "Purina Pro Plan", "Hill's Science Plan", "Lily's Kitchen", "Cesar",
                "James Wellbeloved", "Harringtons", "Bottega Basics"),
    "dogtreats": ("Pedigree", "Whimzees", "Greenies", "Bottega Basics"),
    "doggear": ("Kong", "Ruffwear", "Flexi", "Julius-K9", "Chuckit!", "Trixie", "Bottega Basics"),
    "fish": ("Tetra", "Fluval", "Juwel", "Sera"),
    "smallpet": ("Versele-Laga", "Vitakraft", "Supreme", "Burgess"),
    # toys
    "bricks": ("LEGO", "Mega Bloks", "Playmobil", "Melissa & Doug", "Hape", "BRIO"),
    "games": ("Hasbro", "Mattel", "Ravensburger", "Kosmos", "Asmodee", "Days of Wonder"),
    "plush": ("Jellycat", "Steiff", "Disney", "Bottega Basics"),
    "dolls": ("Mattel", "Sylvanian Families", "Hape", "Playmobil", "Baby Born"),
    "active": ("Micro", "Nerf", "Hot Wheels", "Carrera", "Globber", "X-Shot"),
    "craft": ("Crayola", "Play-Doh", "Djeco", "Kosmos", "Galt"),
}

_ADJECTIVES: dict[str, tuple[str, ...]] = {
    "tech": ("Compact", "Slim", "Premium", "Essential", "Advanced", "Lightweight", "Classic", "Pro", "Studio",
             "Eco", "Next-Gen", "Ultra"),
    "audio": ("Wireless", "Noise-Cancelling", "Compact", "Premium", "Sport", "Studio", "Portable", "Waterproof",
              "Pro", "Bass"),
    "knit": ("Merino", "Lambswool", "Cashmere", "Cotton", "Chunky", "Ribbed", "Cable-Knit", "Fine-Knit",
             "Oversized", "Relaxed", "Recycled", "Heritage"),
    "top": ("Organic Cotton", "Slim Fit", "Regular Fit", "Relaxed", "Oversized", "Linen", "Striped", "Classic",
            "Essential", "Cropped", "Heavyweight", "Vintage"),
    "bottom": ("Slim Fit", "Regular Fit", "Straight Leg", "Tapered", "Wide Leg", "Stretch", "Relaxed", "Cargo",
               "Pleated", "High-Rise", "Recycled"),
    "outer": ("Waterproof", "Quilted", "Padded", "Lightweight", "Packable", "Insulated", "Wool Blend",
              "Hooded", "Longline", "Recycled", "Down"),
    "shoe": ("Leather", "Suede", "Canvas", "Knit", "Retro", "Classic", "Lightweight", "Waterproof", "Cushioned",
             "Vegan", "Low-Top", "High-Top"),
    "accessory": ("Leather", "Classic", "Recycled", "Minimalist", "Travel", "Vintage", "Everyday", "Waterproof"),
    "sport": ("Lightweight", "Cushioned", "Breathable", "Responsive", "Performance", "Training", "Pro",
              "Competition", "Everyday", "Reflective", "Seamless", "Quick-Dry"),
    "gear": ("Adjustable", "Compact", "Heavy-Duty", "Foldable", "Pro", "Travel", "Ultralight", "Waterproof",
             "Insulated", "Premium", "Essential"),
    "food": ("Organic", "Wholegrain", "Classic", "Italian", "Fairtrade", "Gluten-Free", "Premium", "Traditional",
             "Extra Fine", "Reduced Sugar", "Sicilian", "Alpine"),
    "produce": ("Fresh", "Organic", "Ripe & Ready", "Seasonal", "Sweet", "Loose", "Fairtrade", "Local"),
    "textile": ("Cotton", "Organic Cotton", "Linen", "Waffle", "Percale", "Striped", "Washed", "Classic",
                "Recycled", "Bamboo", "Brushed Cotton"),
    "furnishing": ("Velvet", "Oak", "Rattan", "Scandi", "Classic", "Modern", "Minimalist", "Handmade",
                   "Recycled", "Walnut", "Boucle"),
    "cookware": ("Non-Stick", "Cast Iron", "Stainless Steel", "Enamelled", "Induction", "Classic",
                 "Professional", "Forged"),
    "tableware": ("Stoneware", "Porcelain", "Handmade", "Glazed", "Classic", "Speckled", "Scandi"),
    "appliance": ("Compact", "Digital", "Cordless", "Smart", "Stainless Steel", "Quiet", "Energy-Saving",
                  "Retro", "Pro", "Family Size"),
    "beauty": ("Hydrating", "Nourishing", "Sensitive", "Brightening", "Repairing", "Fragrance-Free", "Vegan",
               "Intense", "Daily", "Overnight", "Mattifying", "Soothing"),
    "health": ("High Strength", "Slow Release", "Vegan", "Chewable", "Daily", "One-a-Day", "Advanced"),
    "pet": ("Grain-Free", "Sensitive", "Senior", "Adult", "Natural", "Light", "Hypoallergenic", "Complete"),
    "smallpet": ("Natural", "Complete", "Premium", "Vitamin-Enriched", "Variety"),
    "petgear": ("Durable", "Reflective", "Padded", "Washable", "Interactive", "Orthopaedic", "Waterproof",
                "Adjustable", "Chew-Resistant"),
    "toy": ("Deluxe", "Classic", "Junior", "Mini", "Glow-in-the-Dark", "Starter", "Adventure", "Giant"),
    "bricks": ("Classic", "Deluxe", "Starter", "Magnetic", "Wooden", "Creative", "Junior"),
    "games": ("Family", "Travel", "Deluxe", "Classic", "Junior", "Party", "Strategy", "Collector's"),
    "plush": ("Classic", "Mini", "Giant", "Cuddly", "Super-Soft", "Vintage", "Collector's"),
    "racket": ("Pro", "Tour", "Control", "Power", "Lightweight", "Junior", "Elite", "Team"),
    "ball": ("Match", "Training", "Pro", "Junior", "Club", "Competition"),
}

_TYPES: dict[str, tuple[_Type, ...]] = {
    "electronics": (
        _T("Phones", "Smartphone", 99, 1399, "color", "phone", "tech", ("phone", "mobile", "cell phone")),
        _T("Phones", "5G Smartphone", 199, 1299, "color", "phone", "tech", ("phone", "mobile", "5g")),
        _T("Tablets & E-Readers", "Tablet", 99, 1299, "color", "computer", "tech", ("tablet",)),
        _T("Tablets & E-Readers", "E-Reader", 89, 299, "color", "ereader", "tech", ("ebook reader", "kindle")),
        _T("Laptops", "Laptop", 349, 2999, "color", "computer", "tech", ("notebook", "computer")),
        _T("Laptops", "Chromebook", 229, 699, "color", "computer", "tech", ("laptop", "chromeos")),
        _T("Headphones & Speakers", "Headphones", 39, 449, "color", "audio", "audio", ("over-ear", "bluetooth")),
        _T("Headphones & Speakers", "Earbuds", 19, 299, "color", "audio", "audio", ("earphones", "in-ear")),
        _T("Headphones & Speakers", "Bluetooth Speaker", 25, 399, "color", "audio", "audio", ("speaker",)),
        _T("Headphones & Speakers", "Soundbar", 99, 999, "none", "soundbar", "tech", ("tv speaker", "home cinema")),
        _T("Computer Accessories", "Wireless Mouse", 9, 149, "color", "peripheral", "tech",
           ("computer mouse", "mouse")),
        _T("Computer Accessories", "Gaming Mouse", 29, 169, "color", "peripheral", "tech",
           ("computer mouse", "mouse", "gaming")),
        _T("Computer Accessories", "Mechanical Keyboard", 49, 229, "color", "peripheral", "tech", ("keyboard",)),
        _T("Computer Accessories", "Webcam", 29, 199, "none", "peripheral", "tech", ("camera", "video calls")),
        _T("Computer Accessories", "Monitor", 119, 899, "none", "monitor", "tech", ("screen", "display")),
        _T("Computer Accessories", "Portable SSD", 49, 349, "color", "storage", "tech", ("storage", "drive")),
        _T("Computer Accessories", "Wi-Fi Router", 39, 399, "none", "network", "tech", ("router", "wifi")),
        _T("Phone Accessories", "Phone Case", 9, 59, "color", "mobileacc", "tech", ("case", "cover")),
        _T("Phone Accessories", "Power Bank", 15, 99, "color", "mobileacc", "tech", ("portable charger",)),
        _T("Phone Accessories", "Wireless Charger", 15, 149, "color", "mobileacc", "tech", ("charger",)),
        _T("Phone Accessories", "USB-C Cable", 6, 29, "color", "mobileacc", "tech", ("cable", "charger")),
        _T("TV & Home Cinema", "4K Smart TV", 299, 2999, "none", "tv", "tech", ("tv", "television")),
        _T("TV & Home Cinema", "OLED TV", 899, 3999, "none", "tv", "tech", ("tv", "television")),
        _T("TV & Home Cinema", "Streaming Stick", 29, 99, "none", "streaming", "tech", ("streaming",)),
        _T("TV & Home Cinema", "Projector", 149, 1999, "none", "projector", "tech", ("home cinema",)),
        _T("Wearables", "Smartwatch", 79, 899, "color", "wear", "tech", ("watch", "wearable")),
        _T("Wearables", "Fitness Tracker", 29, 199, "color", "wear", "tech", ("activity tracker", "wearable")),
        _T("Cameras", "Mirrorless Camera", 499, 2999, "none", "camera", "tech", ("camera", "photography")),
        _T("Cameras", "Action Camera", 99, 549, "none", "action", "tech", ("camera", "waterproof")),
        _T("Cameras", "Security Camera", 29, 249, "color", "security", "tech", ("cctv", "smart home")),
        _T("Cameras", "Camera Drone", 199, 1599, "none", "drone", "tech", ("drone", "aerial")),
        _T("Gaming", "Game Controller", 29, 199, "color", "gaming", "tech", ("gamepad", "gaming")),
        _T("Gaming", "Gaming Headset", 29, 299, "color", "gaming", "audio", ("headphones", "gaming")),
    ),
    "fashion": (
        _T("Jumpers & Cardigans", "Jumper", 29, 179, "apparel", "fashion", "knit", ("sweater", "pullover")),
        _T("Jumpers & Cardigans", "Crew-Neck Jumper", 29, 149, "apparel", "fashion", "knit", ("sweater",)),
        _T("Jumpers & Cardigans", "Cardigan", 29, 159, "apparel", "fashion", "knit", ("knitwear",)),
        _T("T-Shirts & Polos", "T-Shirt", 9, 59, "apparel", "fashion", "top", ("tee", "top")),
        _T("T-Shirts & Polos", "Polo Shirt", 24, 129, "apparel", "fashion", "top", ("polo",)),
        _T("Shirts & Blouses", "Oxford Shirt", 29, 119, "apparel", "fashion", "top", ("shirt",)),
        _T("Shirts & Blouses", "Blouse", 24, 99, "apparel", "fashion", "top", ("top",)),
        _T("Jeans & Trousers", "Jeans", 39, 149, "apparel", "fashion", "bottom", ("denim",)),
        _T("Jeans & Trousers", "Chino Trousers", 29, 109, "apparel", "fashion", "bottom", ("chinos", "pants")),
        _T("Jeans & Trousers", "Joggers", 24, 89, "apparel", "fashion", "bottom", ("sweatpants", "pants")),
        _T("Jeans & Trousers", "Shorts", 19, 79, "apparel", "fashion", "bottom", ("summer",)),
        _T("Dresses", "Midi Dress", 29, 159, "apparel", "fashion", "top", ("dress",)),
        _T("Dresses", "Skirt", 24, 99, "apparel", "fashion", "bottom", ("skirt",)),
        _T("Coats & Jackets", "Puffer Jacket", 59, 399, "apparel", "outer", "outer", ("coat", "winter")),
        _T("Coats & Jackets", "Rain Jacket", 49, 249, "apparel", "outer", "outer", ("raincoat", "jacket")),
        _T("Coats & Jackets", "Overcoat", 89, 449, "apparel", "outer", "outer", ("coat", "wool coat")),
        _T("Hoodies & Sweatshirts", "Hoodie", 29, 109, "apparel", "fashion", "top", ("hoody", "sweatshirt")),
        _T("Hoodies & Sweatshirts", "Sweatshirt", 29, 99, "apparel", "fashion", "top", ("crewneck",)),
        _T("Trainers", "Trainers", 39, 179, "shoes", "trainers", "shoe", ("sneakers", "shoes")),
        _T("Shoes & Boots", "Chelsea Boots", 59, 249, "shoes", "boots", "shoe", ("boots", "shoes")),
        _T("Shoes & Boots", "Sandals", 19, 129, "shoes", "sandals", "shoe", ("summer shoes", "shoes")),
        _T("Shoes & Boots", "Loafers", 49, 199, "shoes", "smartshoes", "shoe", ("shoes", "slip-on")),
        _T("Accessories", "Scarf", 12, 89, "color", "knitacc", "accessory", ("winter accessories",)),
        _T("Accessories", "Beanie", 9, 39, "color", "knitacc", "accessory", ("hat",)),
        _T("Accessories", "Belt", 19, 79, "sml", "fashion", "accessory", ("belt",)),
        _T("Accessories", "Backpack", 29, 149, "color", "bags", "accessory", ("rucksack", "bag")),
        _T("Accessories", "Sunglasses", 19, 199, "color", "eyewear", "accessory", ("shades",)),
        _T("Accessories", "Socks 3 Pack", 9, 24, "sml", "fashion", "top", ("socks",)),
    ),
    "sports": (
        _T("Running Shoes", "Running Trainers", 49, 199, "shoes", "running", "sport",
           ("running shoes", "sneakers", "trainers", "jogging")),
        _T("Running Shoes", "Trail Running Trainers", 69, 199, "shoes", "running", "sport",
           ("running shoes", "trail shoes", "sneakers", "trainers")),
        _T("Running Clothing", "Running T-Shirt", 14, 59, "apparel", "running", "sport", ("t-shirt", "tee")),
        _T("Running Clothing", "Running Shorts", 14, 59, "apparel", "running", "sport", ("shorts",)),
        _T("Running Clothing", "Running Tights", 24, 89, "apparel", "running", "sport", ("leggings",)),
        _T("Running Clothing", "Running Jacket", 39, 179, "apparel", "running", "sport", ("windbreaker",)),
        _T("Fitness Equipment", "Dumbbell Set", 29, 449, "none", "weights", "gear", ("weights", "gym")),
        _T("Fitness Equipment", "Kettlebell", 19, 89, "none", "weights", "gear", ("weights", "gym")),
        _T("Fitness Equipment", "Resistance Bands", 9, 39, "none", "weights", "gear", ("exercise bands",)),
        _T("Fitness Equipment", "Exercise Bike", 199, 1499, "none", "cardio", "gear", ("cardio", "spin bike")),
        _T("Yoga & Pilates", "Yoga Mat", 14, 149, "color", "yoga", "gear", ("exercise mat", "yoga")),
        _T("Yoga & Pilates", "Leggings", 24, 99, "apparel", "activewear", "sport", ("yoga pants", "tights")),
        _T("Cycling", "Bike Helmet", 29, 249, "helmet", "helmet", "gear", ("helmet", "cycling")),
        _T("Cycling", "Bike Light Set", 14, 99, "none", "bikelight", "gear", ("bike light", "cycling")),
        _T("Cycling", "Bike Lock", 19, 119, "none", "lock", "gear", ("u-lock", "cycling")),
        _T("Outdoor & Hiking", "Hiking Backpack", 39, 229, "color", "pack", "gear", ("rucksack", "daypack")),
        _T("Outdoor & Hiking", "Hiking Boots", 69, 249, "shoes", "hiking", "gear", ("walking boots",)),
        _T("Outdoor & Hiking", "Camping Tent", 49, 599, "none", "camp", "gear", ("tent", "camping")),
        _T("Outdoor & Hiking", "Sleeping Bag", 29, 299, "color", "camp", "gear", ("camping",)),
        _T("Outdoor & Hiking", "Insulated Water Bottle", 14, 49, "color", "bottle", "gear", ("flask",)),
        _T("Team & Racket Sports", "Football", 14, 149, "ball", "football", "ball", ("soccer ball", "ball")),
        _T("Team & Racket Sports", "Football Boots", 39, 279, "shoes", "footballboots", "ball", ("cleats",)),
        _T("Team & Racket Sports", "Tennis Racket", 39, 279, "none", "racket", "racket", ("tennis", "racquet")),
        _T("Team & Racket Sports", "Padel Racket", 49, 299, "none", "padel", "racket", ("padel",)),
        _T("Swimming", "Swimsuit", 19, 89, "apparel", "swim", "sport", ("swimming costume",)),
        _T("Swimming", "Swim Goggles", 9, 49, "color", "swim", "sport", ("goggles",)),
    ),
    "grocery": (
        _T("Fruit", "Apples", 1.49, 4.49, "none", "produce", "produce", ("apple", "fruit"), ("1 kg", "6 Pack")),
        _T("Fruit", "Oranges", 1.49, 4.49, "none", "produce", "produce", ("orange", "citrus"), ("1 kg", "1.5 kg")),
        _T("Fruit", "Blackberries", 1.99, 5.49, "none", "produce", "produce", ("berries",), ("150 g", "300 g")),
        _T("Fruit", "Blueberries", 1.99, 5.49, "none", "produce", "produce", ("berries",), ("125 g", "250 g")),
        _T("Fruit", "Bananas", 0.99, 2.49, "none", "produce", "produce", ("banana",), ("5 Pack", "1 kg")),
        _T("Fruit", "Strawberries", 1.99, 4.99, "none", "produce", "produce", ("berries",), ("250 g", "400 g")),
        _T("Vegetables", "Tomatoes", 0.99, 3.49, "none", "produce", "produce", ("tomato",), ("500 g", "1 kg")),
        _T("Vegetables", "Potatoes", 0.99, 3.49, "none", "produce", "produce", ("potato",), ("1 kg", "2.5 kg")),
        _T("Vegetables", "Carrots", 0.69, 1.99, "none", "produce", "produce", ("carrot",), ("500 g", "1 kg")),
        _T("Pantry", "Spaghetti", 0.89, 2.99, "none", "pasta", "food", ("pasta",), ("500 g", "1 kg")),
        _T("Pantry", "Penne Rigate", 0.89, 2.99, "none", "pasta", "food", ("pasta",), ("500 g", "1 kg")),
        _T("Pantry", "Basmati Rice", 1.49, 5.99, "none", "rice", "food", ("rice",), ("500 g", "1 kg", "2 kg")),
        _T("Pantry", "Chopped Tomatoes", 0.79, 2.49, "none", "tomato", "food", ("tinned tomatoes",), ("400 g",)),
        _T("Pantry", "Extra Virgin Olive Oil", 4.99, 16.99, "none", "oil", "food", ("olive oil", "oil"),
           ("500 ml", "750 ml", "1 L")),
        _T("Pantry", "Strawberry Jam", 1.49, 4.49, "none", "spread", "food", ("jam", "preserve"), ("370 g",)),
        _T("Pantry", "Peanut Butter", 1.99, 5.49, "none", "spread", "food", ("nut butter",), ("340 g", "1 kg")),
        _T("Pantry", "Granola", 2.49, 5.99, "none", "cereal", "food", ("cereal", "breakfast"), ("500 g", "750 g")),
        _T("Pantry", "Porridge Oats", 1.29, 3.99, "none", "cereal", "food", ("oats", "breakfast"), ("1 kg",)),
        _T("Dairy & Eggs", "Greek Yoghurt", 1.29, 4.49, "none", "yoghurt", "food", ("yogurt",), ("500 g", "1 kg")),
        _T("Dairy & Eggs", "Mozzarella", 0.99, 2.99, "none", "cheese", "food", ("cheese",), ("125 g", "250 g")),
        _T("Dairy & Eggs", "Oat Drink", 1.49, 2.99, "none", "plantmilk", "food", ("oat milk", "plant milk"),
           ("1 L",)),
        _T("Dairy & Eggs", "Whole Milk", 0.99, 1.99, "none", "milk", "food", ("milk",), ("1 L", "2 L")),
        _T("Drinks", "Sparkling Water", 0.49, 5.99, "none", "water", "food", ("water",),
           ("1 L", "6 x 500 ml", "6 x 1 L")),
        _T("Drinks", "Orange Juice", 1.49, 3.99, "none", "juice", "food", ("juice",), ("1 L", "1.5 L")),
        _T("Drinks", "Apple Juice", 1.29, 3.49, "none", "juice", "food", ("juice",), ("1 L",)),
        _T("Drinks", "Lager", 3.99, 12.99, "none", "beer", "food", ("beer", "alcohol"),
           ("6 x 330 ml", "12 x 330 ml")),
        _T("Drinks", "Red Wine", 5.99, 39.90, "none", "wine", "food", ("wine", "alcohol"), ("750 ml",)),
        _T("Coffee & Tea", "Ground Coffee", 2.99, 9.99, "none", "coffee", "food", ("coffee",), ("250 g", "500 g")),
        _T("Coffee & Tea", "Coffee Beans", 4.99, 24.99, "none", "coffee", "food", ("coffee",), ("500 g", "1 kg")),
        _T("Coffee & Tea", "Green Tea", 1.99, 5.99, "none", "tea", "food", ("tea",), ("20 Bags", "50 Bags")),
        _T("Snacks & Sweets", "Dark Chocolate", 1.29, 4.99, "none", "chocolate", "food", ("chocolate",),
           ("100 g", "200 g")),
        _T("Snacks & Sweets", "Milk Chocolate", 0.99, 4.49, "none", "chocolate", "food", ("chocolate",),
           ("100 g", "300 g")),
        _T("Snacks & Sweets", "Butter Biscuits", 1.29, 3.99, "none", "biscuits", "food", ("cookies", "biscuits"),
           ("200 g", "350 g")),
        _T("Snacks & Sweets", "Sea Salt Crisps", 0.99, 3.49, "none", "crisps", "food", ("chips", "crisps"),
           ("150 g", "6 Pack")),
    ),
    "home": (
        _T("Bedding", "Pillow Case Pair", 9, 49, "color", "textile", "textile", ("pillowcase", "bedding")),
        _T("Bedding", "Duvet Cover Set", 29, 149, "bed", "textile", "textile", ("bedding", "duvet cover")),
        _T("Bedding", "Fitted Sheet", 14, 69, "bed", "textile", "textile", ("bed sheet", "bedding")),
        _T("Bedding", "Pillow", 14, 99, "none", "textile", "textile", ("bedding",)),
        _T("Bedding", "Duvet", 29, 249, "bed", "textile", "textile", ("quilt", "comforter")),
        _T("Bath", "Bath Towel", 9, 49, "color", "textile", "textile", ("towel",)),
        _T("Bath", "Bath Mat", 12, 49, "color", "textile", "textile", ("bathroom",)),
        _T("Kitchen & Cookware", "Frying Pan", 19, 149, "none", "cookware", "cookware", ("pan", "skillet")),
        _T("Kitchen & Cookware", "Saucepan Set", 49, 349, "none", "cookware", "cookware", ("pans", "cookware")),
        _T("Kitchen & Cookware", "Casserole Dish", 39, 349, "color", "cookware", "cookware", ("dutch oven", "pot")),
        _T("Kitchen & Cookware", "Chef's Knife", 19, 179, "none", "knives", "cookware", ("knife",)),
        _T("Kitchen & Cookware", "Dinner Plates Set", 19, 99, "color", "tableware", "tableware", ("plates",)),
        _T("Kitchen & Cookware", "Mug Set", 12, 49, "color", "tableware", "tableware", ("mugs", "cups")),
        _T("Appliances", "Coffee Machine", 69, 999, "color", "coffeemachine", "appliance", ("coffee maker",)),
        _T("Appliances", "Electric Kettle", 19, 179, "color", "smallappliance", "appliance", ("kettle",)),
        _T("Appliances", "Toaster", 19, 199, "color", "smallappliance", "appliance", ("toaster",)),
        _T("Appliances", "Air Fryer", 49, 299, "none", "smallappliance", "appliance", ("fryer",)),
        _T("Appliances", "Blender", 29, 399, "color", "smallappliance", "appliance", ("smoothie maker",)),
        _T("Appliances", "Cordless Vacuum Cleaner", 99, 899, "none", "vacuum", "appliance", ("vacuum", "hoover")),
        _T("Appliances", "Robot Vacuum", 149, 1199, "none", "robotvac", "appliance", ("vacuum", "robot")),
        _T("Appliances", "Steam Iron", 24, 149, "color", "smallappliance", "appliance", ("iron", "laundry")),
        _T("Furniture", "Three-Seater Sofa", 399, 2499, "color", "furniture", "furnishing", ("sofa", "couch")),
        _T("Furniture", "Armchair", 149, 899, "color", "furniture", "furnishing", ("chair",)),
        _T("Furniture", "Coffee Table", 59, 499, "none", "furniture", "furnishing", ("table",)),
        _T("Furniture", "Bookcase", 49, 399, "color", "furniture", "furnishing", ("bookshelf", "shelving")),
        _T("Furniture", "Office Chair", 79, 999, "color", "officechair", "furnishing", ("desk chair",)),
        _T("Lighting", "Desk Lamp", 19, 249, "color", "lighting", "furnishing", ("lamp", "lighting")),
        _T("Lighting", "Floor Lamp", 39, 399, "color", "lighting", "furnishing", ("lamp", "lighting")),
        _T("Home Decor", "Scented Candle", 9, 59, "none", "candle", "furnishing", ("candle",)),
        _T("Home Decor", "Cushion Cover", 9, 39, "color", "textile", "textile", ("cushion",)),
        _T("Home Decor", "Throw Blanket", 24, 129, "color", "textile", "textile", ("throw", "blanket")),
        _T("Home Decor", "Plant Pot", 9, 69, "color", "decor", "furnishing", ("planter",)),
        _T("Home Decor", "Storage Basket", 12, 49, "none", "decor", "furnishing", ("basket", "storage")),
    ),
    "beauty": (
        _T("Skincare", "Moisturiser", 6, 89, "none", "skincare", "beauty", ("face cream", "skincare"), ("50 ml",)),
        _T("Skincare", "Face Serum", 6, 99, "none", "skincare", "beauty", ("serum", "skincare"), ("30 ml",)),
        _T("Skincare", "Facial Cleanser", 5, 39, "none", "skincare", "beauty", ("face wash", "skincare"),
           ("150 ml", "200 ml")),
        _T("Skincare", "Sun Cream SPF 50", 7, 34, "none", "skincare", "beauty", ("sunscreen", "spf"),
           ("50 ml", "200 ml")),
        _T("Skincare", "Night Cream", 9, 89, "none", "skincare", "beauty", ("skincare",), ("50 ml",)),
        _T("Haircare", "Shampoo", 3, 39, "none", "haircare", "beauty", ("hair",), ("250 ml", "400 ml")),
        _T("Haircare", "Conditioner", 3, 39, "none", "haircare", "beauty", ("hair",), ("250 ml", "400 ml")),
        _T("Haircare", "Hair Mask", 6, 49, "none", "haircare", "beauty", ("hair treatment",), ("200 ml",)),
        _T("Haircare", "Hair Dryer", 29, 449, "color", "hairtools", "appliance", ("hairdryer", "blow dryer")),
        _T("Haircare", "Hair Straightener", 24, 299, "color", "hairtools", "appliance", ("flat iron",)),
        _T("Makeup", "Mascara", 5, 39, "none", "makeup", "beauty", ("makeup", "lashes")),
        _T("Makeup", "Foundation", 7, 59, "none", "makeup", "beauty", ("makeup", "base"), ("30 ml",)),
        _T("Makeup", "Lipstick", 5, 45, "color", "makeup", "beauty", ("makeup", "lips")),
        _T("Makeup", "Nail Polish", 3, 29, "color", "makeup", "beauty", ("nail varnish", "nails")),
        _T("Makeup", "Eyeshadow Palette", 9, 69, "none", "makeup", "beauty", ("makeup", "eyes")),
        _T("Fragrance", "Eau de Parfum", 39, 199, "none", "fragrance", "beauty", ("perfume", "fragrance"),
           ("30 ml", "50 ml", "100 ml")),
        _T("Fragrance", "Eau de Toilette", 29, 149, "none", "fragrance", "beauty", ("cologne", "fragrance"),
           ("50 ml", "100 ml")),
        _T("Vitamins & Supplements", "Vitamin C Tablets", 4, 24, "none", "vitamins", "health",
           ("vitamins", "supplements"), ("60 Pack", "120 Pack")),
        _T("Vitamins & Supplements", "Vitamin D3 Tablets", 4, 19, "none", "vitamins", "health",
           ("vitamins", "supplements"), ("90 Pack", "180 Pack")),
        _T("Vitamins & Supplements", "Multivitamin Tablets", 5, 29, "none", "vitamins", "health",
           ("vitamins", "supplements"), ("30 Pack", "90 Pack")),
        _T("Vitamins & Supplements", "Omega-3 Capsules", 7, 34, "none", "vitamins", "health",
           ("fish oil", "supplements"), ("60 Pack", "120 Pack")),
        _T("Vitamins & Supplements", "Whey Protein Powder", 19, 69, "none", "protein", "health",
           ("protein", "supplements"), ("1 kg", "2.5 kg")),
        _T("Shaving & Oral Care", "Electric Toothbrush", 24, 299, "color", "oral", "appliance",
           ("toothbrush", "dental")),
        _T("Shaving & Oral Care", "Toothpaste", 1.49, 7.99, "none", "oral", "beauty", ("dental",), ("75 ml",)),
        _T("Shaving & Oral Care", "Electric Shaver", 39, 399, "none", "shave", "appliance", ("razor", "shaving")),
        _T("Shaving & Oral Care", "Beard Trimmer", 24, 129, "none", "shave", "appliance", ("trimmer", "shaving")),
        _T("Shaving & Oral Care", "Deodorant", 2, 9, "none", "deo", "beauty", ("antiperspirant",),
           ("150 ml", "250 ml")),
    ),
    "pets": (
        _T("Cat Food", "Wet Cat Food", 3.49, 19.99, "none", "catfood", "pet", ("cat food", "pouches"),
           ("12 x 85 g", "24 x 85 g")),
        _T("Cat Food", "Dry Cat Food", 5.99, 59.99, "none", "catfood", "pet", ("cat food", "kibble"),
           ("800 g", "2 kg", "4 kg")),
        _T("Cat Food", "Cat Treats", 1.49, 6.99, "none", "cattreats", "pet", ("treats",), ("60 g", "180 g")),
        _T("Cat Toys & Accessories", "Cat Litter", 4.99, 19.99, "none", "litter", "smallpet", ("litter",),
           ("10 L", "20 L")),
        _T("Cat Toys & Accessories", "Catnip Toy Mouse", 2.99, 9.99, "color", "catgear", "petgear",
           ("cat toy", "toy mouse", "catnip")),
        _T("Cat Toys & Accessories", "Cat Scratching Post", 19, 129, "color", "catgear", "petgear",
           ("scratcher", "cat tree")),
        _T("Cat Toys & Accessories", "Cat Bed", 14, 69, "color", "catgear", "petgear", ("pet bed",)),
        _T("Dog Food", "Wet Dog Food", 4.99, 24.99, "none", "dogfood", "pet", ("dog food",),
           ("6 x 400 g", "12 x 400 g")),
        _T("Dog Food", "Dry Dog Food", 9.99, 89.99, "none", "dogfood", "pet", ("dog food", "kibble"),
           ("2 kg", "7 kg", "12 kg")),
        _T("Dog Food", "Dental Chews", 3.99, 14.99, "none", "dogtreats", "pet", ("dog treats",), ("28 Pack",)),
        _T("Dog Toys & Accessories", "Dog Toy", 4.99, 24.99, "sml", "doggear", "petgear", ("chew toy",)),
        _T("Dog Toys & Accessories", "Dog Harness", 14.99, 69.99, "apparel", "doggear", "petgear", ("harness",)),
        _T("Dog Toys & Accessories", "Dog Lead", 9.99, 39.99, "color", "doggear", "petgear", ("leash",)),
        _T("Dog Toys & Accessories", "Dog Collar", 7.99, 34.99, "sml", "doggear", "petgear", ("collar",)),
        _T("Dog Toys & Accessories", "Dog Bed", 24.99, 149.99, "sml", "doggear", "petgear", ("pet bed",)),
        _T("Small Pets, Fish & Birds", "Tropical Fish Flakes", 2.99, 12.99, "none", "fish", "smallpet",
           ("fish food",), ("100 ml", "250 ml")),
        _T("Small Pets, Fish & Birds", "Aquarium Kit", 49, 399, "none", "fish", "petgear",
           ("fish tank", "aquarium")),
        _T("Small Pets, Fish & Birds", "Budgie Seed Mix", 2.99, 9.99, "none", "smallpet", "smallpet",
           ("bird food",), ("1 kg", "4 kg")),
        _T("Small Pets, Fish & Birds", "Rabbit Nuggets", 3.99, 14.99, "none", "smallpet", "smallpet",
           ("rabbit food",), ("1.5 kg", "3 kg")),
    ),
    "toys": (
        _T("Building Sets", "Building Set", 9.99, 249.99, "none", "bricks", "bricks", ("bricks", "construction")),
        _T("Building Sets", "Wooden Blocks", 14.99, 59.99, "none", "bricks", "bricks", ("blocks", "toddler")),
        _T("Building Sets", "Train Set", 19.99, 149.99, "none", "bricks", "bricks", ("railway", "trains")),
        _T("Board Games & Puzzles", "Board Game", 12.99, 69.99, "none", "games", "games", ("game", "family game")),
        _T("Board Games & Puzzles", "Card Game", 6.99, 24.99, "none", "games", "games", ("game", "cards")),
        _T("Board Games & Puzzles", "1000 Piece Jigsaw Puzzle", 9.99, 29.99, "none", "games", "games",
           ("jigsaw", "puzzle")),
        _T("Dolls & Soft Toys", "Soft Toy", 9.99, 59.99, "color", "plush", "plush", ("plush", "cuddly toy")),
        _T("Dolls & Soft Toys", "Teddy Bear", 14.99, 119.99, "color", "plush", "plush", ("plush", "teddy")),
        _T("Dolls & Soft Toys", "Doll", 9.99, 49.99, "none", "dolls", "toy", ("dolls",)),
        _T("Dolls & Soft Toys", "Dollhouse", 49.99, 249.99, "none", "dolls", "toy", ("doll house",)),
        _T("Outdoor & Active Toys", "Kick Scooter", 39.99, 149.99, "color", "active", "toy", ("scooter",)),
        _T("Outdoor & Active Toys", "Remote Control Car", 19.99, 129.99, "color", "active", "toy", ("rc car",)),
        _T("Outdoor & Active Toys", "Water Blaster", 9.99, 39.99, "color", "active", "toy", ("water gun",)),
        _T("Outdoor & Active Toys", "Art Set", 9.99, 49.99, "none", "craft", "toy", ("arts and crafts",)),
        _T("Outdoor & Active Toys", "Science Kit", 14.99, 59.99, "none", "craft", "toy", ("stem", "educational")),
    ),
}
# fmt: on

# Product-line names: a few real-sounding words plus invented ones from syllables, ~1,300 in all.
_LINE_WORDS: tuple[str, ...] = (
    "Aurora", "Summit", "Horizon", "Coast", "Atlas", "Nova", "Pulse", "Echo", "Vertex", "Breeze",
    "Nimbus", "Alpine", "Harbour", "Meridian", "Orbit", "Tempo", "Drift", "Ember", "Glacier", "Canyon",
    "Lumen", "Zephyr", "Sierra", "Tundra", "Cascade", "Solstice", "Quartz", "Onyx", "Cobalt", "Fjord",
)  # fmt: skip
_SYLLABLES_A = (
    "Ar", "Bel", "Cor", "Dal", "El", "Fen", "Gal", "Hal", "Ir", "Jun", "Kal", "Lum", "Mar", "Nor", "Or",
    "Pel", "Quin", "Ros", "Sol", "Tor", "Ul", "Val", "Wen", "Xen", "Yor", "Zen", "Al", "Bri", "Cas", "Dor",
    "Ev", "Fal", "Gio", "Hel", "Is", "Lyr", "Mi", "Nav", "Od", "Pra",
)  # fmt: skip
_SYLLABLES_B = (
    "a", "an", "ara", "ex", "ia", "ion", "is", "ix", "o", "on", "ora", "os", "um", "us", "ya",
    "ent", "ino", "ova", "eon", "ith", "ado", "ura", "eno", "ax", "ine", "ell", "aro", "ite", "ida", "oni",
)  # fmt: skip
_LINES: tuple[str, ...] = _LINE_WORDS + tuple(a + b for a in _SYLLABLES_A for b in _SYLLABLES_B)
_MODELS: tuple[str, ...] = (
    "2", "3", "4", "5", "7", "9", "Pro", "Max", "Lite", "Plus", "Mini", "SE", "X", "S", "Air", "Neo",
)

# Colours per department, in Title Case from the shared palette.
_TECH_COLORS = ("Black", "White", "Silver", "Grey", "Blue", "Gold", "Green", "Pink", "Purple", "Red")
_DEPT_COLORS: dict[str, tuple[str, ...]] = {
    "electronics": _TECH_COLORS,
    "toys": tuple(COLORS),
}
_DEFAULT_COLORS = tuple(c for c in COLORS if c != "Multicolour")

_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "electronics": (
        "Comes with a two-year manufacturer warranty.",
        "Set up in minutes with the quick-start guide in the box.",
        "Energy-efficient design with a low standby draw.",
        "Free delivery and 30-day returns.",
    ),
    "fashion": (
        "Machine washable at 30°C.",
        "True to size; choose one size up for a looser fit.",
        "Made with responsibly sourced materials.",
        "A wardrobe staple that goes with everything.",
        "Free returns within 30 days.",
    ),
    "sports": (
        "Tested by athletes for training and competition.",
        "Built to handle hard use, season after season.",
        "Lightweight and easy to pack for training or travel.",
        "Suitable for beginners and seasoned athletes alike.",
    ),
    "grocery": (
        "Store in a cool, dry place.",
        "See the pack for the best-before date.",
        "Sourced from trusted growers and producers.",
        "Suitable for vegetarians.",
    ),
    "home": (
        "Designed to last, with a two-year guarantee.",
        "Easy to clean and care for.",
        "Fits neatly into small spaces.",
        "Made from responsibly sourced materials.",
    ),
    "beauty": (
        "Comes with a two-year warranty.",
        "Salon-quality results at home.",
        "Includes a storage pouch.",
    ),
    "pets": (
        "Easy to clean and built to last.",
        "Made from pet-safe, non-toxic materials.",
        "Tested by our own shop dogs and cats.",
    ),
    "toys": (
        "Suitable for ages 3 and up.",
        "Encourages creativity and imaginative play.",
        "Safety-tested to EN 71 standards.",
        "A great gift for birthdays and holidays.",
    ),
}

# Consumables (types with pack sizes) get their own lines where the durable-goods ones would be wrong.
_CONSUMABLE_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "beauty": (
        "Not tested on animals.",
        "Keep out of reach of children.",
        "Made in the EU.",
        "In recyclable packaging.",
    ),
    "pets": (
        "Vet-approved and made to high safety standards.",
        "Store in a cool, dry place once opened.",
        "In recyclable packaging.",
    ),
}

_DEPT_SLUGS: tuple[str, ...] = tuple(d["slug"] for d in DEPARTMENTS)
# One flat list so each product picks a (department, type) uniformly: departments get products
# in proportion to how many product types they have.
_ALL_TYPES: tuple[tuple[str, _Type], ...] = tuple((slug, t) for slug in _DEPT_SLUGS for t in _TYPES.get(slug, ()))


@lru_cache(maxsize=1024)
def _lower_words(phrase: str) -> str:
    """Lower-case ordinary words but keep acronyms: "4K Smart TV" -> "4K smart TV"."""
    return " ".join(w.lower() if any(c.islower() for c in w) else w for w in phrase.split())


def _price(rng: random.Random, lo: float, hi: float) -> str:
    """Log-uniform in [lo, hi] (cheap items are commoner), with shop-style endings."""
    value = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if value < 10:
        cents = rng.choice((0.29, 0.49, 0.79, 0.99))
        value = math.floor(value) + cents
    elif value < 100:
        value = math.floor(value) + rng.choice((0.0, 0.90, 0.95, 0.99))
    else:
        value = math.floor(value / 10) * 10 + rng.choice((-0.01, -0.05, 0.0, 9.0))
    return f"{max(value, lo):.2f}"


def _sizes(mode: str, rng: random.Random) -> tuple[str | None, ...]:
    if mode == "apparel":
        start = rng.randint(0, 2)
        return tuple(CLOTHING_SIZES[start : start + rng.randint(3, 6 - start)])
    if mode == "shoes":
        start = rng.randint(0, 3)
        return tuple(SHOE_SIZES[start : start + rng.randint(4, 11 - start)])
    if mode == "sml":
        return ("S", "M", "L")
    if mode == "helmet":
        return ("S", "M", "L")[rng.randint(0, 1) :]
    if mode == "bed":
        return ("Single", "Double", "King")
    if mode == "ball":
        return ("Size 3", "Size 4", "Size 5")[rng.randint(0, 1) :]
    return (None,)


def _variants(mode: str, palette: tuple[str, ...], rng: random.Random) -> list[dict[str, Any]]:
    """1-12 variants: a size run times a few colours, capped at MAX_VARIANTS."""
    if mode == "none":
        return [{"size": None, "color": None, "stock": draw_stock(rng)}]
    sizes = _sizes(mode, rng)
    max_colors = max(1, MAX_VARIANTS // len(sizes))
    n_colors = rng.randint(1, min(max_colors, 6 if mode == "color" else 3))
    colors: tuple[str | None, ...] = tuple(rng.sample(palette, n_colors))
    if mode != "color" and rng.random() < 0.15:
        colors = (None,)  # some sized goods come in a single unnamed colourway
    return [{"size": s, "color": c, "stock": draw_stock(rng)} for c in colors for s in sizes]


def _name(t: _Type, brand: str, rng: random.Random) -> tuple[str, str]:
    """The product name and the adjective in it ("" if none), for the description and keywords."""
    adjective = rng.choice(_ADJECTIVES[t.adjectives])
    if adjective.lower() in t.noun.lower():  # no "Wireless Wireless Mouse"
        adjective = ""
    if t.units:  # consumables: brand, maybe an adjective, the product, the pack size
        unit = rng.choice(t.units)
        if adjective and rng.random() < 0.6:
            return f"{brand} {adjective} {t.noun} {unit}", adjective
        return f"{brand} {t.noun} {unit}", ""
    line = rng.choice(_LINES)
    form = rng.randrange(4)
    if form == 1:
        return f"{brand} {line} {rng.choice(_MODELS)} {t.noun}", ""
    if form == 2 and adjective:
        return f"{brand} {adjective} {t.noun}", adjective
    if form == 3 and adjective:
        return f"{brand} {line} {adjective} {t.noun}", adjective
    return f"{brand} {line} {t.noun}", ""


def generate_products(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Yield ``count`` synthetic products shaped like ``catalog.PRODUCTS``; same seed, same products."""
    rng = random.Random(seed)
    width = max(6, len(str(count)))
    for i in range(1, count + 1):
        slug, t = rng.choice(_ALL_TYPES)
        brand = rng.choice(_BRANDS[t.brands])
        name, adjective = _name(t, brand, rng)
        palette = _DEPT_COLORS.get(slug, _DEFAULT_COLORS)
        lead = f"{_lower_words(adjective)} {_lower_words(t.noun)}" if adjective else _lower_words(t.noun)
        pool = _CONSUMABLE_DESCRIPTIONS.get(slug, _DESCRIPTIONS[slug]) if t.units else _DESCRIPTIONS[slug]
        description = f"{lead[0].upper()}{lead[1:]} from {brand}. {rng.choice(pool)}"
        yield {
            "sku": f"GEN-{i:0{width}d}",
            "name": name,
            "department": slug,
            "brand": brand,
            "category": t.category,
            "description": description,
            "keywords": [*t.kw, adjective.lower()] if adjective else list(t.kw),
            "price": _price(rng, t.lo, t.hi),
            "currency": CURRENCY,
            "variants": _variants(t.mode, palette, rng),
            # Skewed low: a few hits, a long tail.
            "popularity": min(100, int(rng.expovariate(1 / 20))),
        }


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=0, help="print this many sample products as JSON")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bench", type=int, default=0, help="time generating this many products")
    args = parser.parse_args()
    if args.count:
        print(json.dumps(list(generate_products(args.count, args.seed)), indent=2, ensure_ascii=False))
    if args.bench:
        started = time.perf_counter()
        variants = sum(len(p["variants"]) for p in generate_products(args.bench, args.seed))
        elapsed = time.perf_counter() - started
        print(f"generated {args.bench} products ({variants} variants) in {elapsed:.2f} s")


if __name__ == "__main__":
    _main()
