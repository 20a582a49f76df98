"""Words of place names and nationalities, for telling a reported person from a place.

"Japan said ..." and "Washington warned ..." report a country, not a person; attribution
(sofa_cli/corpus/attribution.py) leaves these words out of the names it finds. A general list,
written for sofa (no download): the countries of the world and their people, continents and
regions, the largest cities and capitals, U.S. states and well-known islands and provinces. It
holds single words, as names are compared word by word ("United", "States"); words that are
also common given names or surnames (Jordan, Georgia, Sydney, Marshall, Houston...) are left out.
"""

from __future__ import annotations

PLACES: frozenset[str] = frozenset(
    """
    Africa African Africans America American Americans Antarctica Arctic Asia Asian Asians Atlantic
    Australia Australian Australians Europe European Europeans Eurasia Oceania Pacific Caribbean
    Mediterranean Balkan Balkans Baltic Nordic Scandinavia Scandinavian Latin Middle Far Near East
    Eastern West Western North Northern South Southern Central Gulf Persian Sahara Himalaya Himalayas
    Afghanistan Afghan Afghans Albania Albanian Algeria Algerian Andorra Angola Angolan Argentina
    Argentine Argentinian Armenia Armenian Austria Austrian Azerbaijan Azerbaijani Bahamas Bahrain
    Bahraini Bangladesh Bangladeshi Barbados Belarus Belarusian Belgium Belgian Belize Benin Bhutan
    Bolivia Bolivian Bosnia Bosnian Herzegovina Botswana Brazil Brazilian Brazilians Brunei Bulgaria
    Bulgarian Burkina Faso Burundi Cambodia Cambodian Cameroon Cameroonian Canada Canadian Canadians
    Cape Verde Chile Chilean China Chinese Colombia Colombian Comoros Congo Congolese Costa Rica
    Croatia Croatian Cuba Cuban Cyprus Cypriot Czech Czechia Denmark Danish Djibouti Dominica
    Dominican Ecuador Ecuadorian Egypt Egyptian Egyptians Equatorial Guinea Eritrea Estonia
    Estonian Eswatini Ethiopia Ethiopian Fiji Finland Finnish France French Gabon Gambia
    Georgian Germany German Germans Ghana Ghanaian Greece Greek Greeks Grenada Guatemala Guatemalan
    Guyana Haiti Haitian Honduras Hungary Hungarian Iceland Icelandic India Indian Indians Indonesia
    Indonesian Iran Iranian Iranians Iraq Iraqi Iraqis Ireland Irish Israel Israeli Israelis Italy
    Italian Italians Ivory Coast Jamaica Jamaican Japan Japanese Kazakhstan Kazakh
    Kenya Kenyan Kiribati Korea Korean Koreans Kosovo Kuwait Kuwaiti Kyrgyzstan Laos Lao Latvia
    Latvian Lebanon Lebanese Lesotho Liberia Liberian Libya Libyan Liechtenstein Lithuania Lithuanian
    Luxembourg Madagascar Malawi Malaysia Malaysian Maldives Mali Malian Malta Maltese
    Mauritania Mauritius Mexico Mexican Mexicans Micronesia Moldova Moldovan Monaco Mongolia Mongolian
    Montenegro Morocco Moroccan Mozambique Myanmar Burma Burmese Namibia Nauru Nepal Nepalese
    Netherlands Dutch Holland Zealand Nicaragua Niger Nigeria Nigerian Macedonia Norway Norwegian Oman
    Pakistan Pakistani Pakistanis Palau Palestine Palestinian Palestinians Panama Papua Paraguay Peru
    Peruvian Philippines Philippine Filipino Filipinos Poland Polish Portugal Portuguese Qatar Qatari
    Romania Romanian Russia Russian Russians Rwanda Rwandan Samoa Saudi Saudis Arabia Arab Arabs
    Senegal Senegalese Serbia Serbian Seychelles Singapore Singaporean Slovakia Slovak
    Slovenia Slovenian Somalia Somali Sudan Sudanese Spain Spanish Sri Lanka Lankan Suriname
    Sweden Swedish Switzerland Swiss Syria Syrian Syrians Taiwan Taiwanese Tajikistan Tanzania
    Tanzanian Thailand Thai Timor Togo Tonga Trinidad Tobago Tunisia Tunisian Turkey Turkish Turks
    Turkmenistan Tuvalu Uganda Ugandan Ukraine Ukrainian Ukrainians United Kingdom States Emirates
    Britain British English Scotland Scottish Wales Welsh Uruguay Uzbekistan Vanuatu Vatican
    Venezuela Venezuelan Vietnam Vietnamese Yemen Yemeni Zambia Zimbabwe Soviet Union Republic
    Kingdom Federation
    Washington Moscow Beijing Tokyo London Paris Berlin Brussels Rome Madrid Lisbon Vienna Warsaw
    Kyiv Kiev Minsk Ankara Istanbul Tehran Baghdad Damascus Beirut Jerusalem Riyadh Cairo Delhi
    Mumbai Islamabad Kabul Dhaka Bangkok Hanoi Manila Jakarta Seoul Pyongyang Taipei Shanghai
    Osaka Kyoto Canberra Ottawa Toronto Brasilia Buenos Aires Bogota
    Caracas Havana Nairobi Johannesburg Geneva Stockholm Oslo Copenhagen Helsinki Athens
    Dublin Edinburgh Amsterdam Prague Budapest Bucharest Belgrade Zagreb Doha Dubai
    York Angeles Chicago Boston Francisco Miami Atlanta Seattle Detroit Philadelphia
    Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Hawaii Idaho
    Illinois Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota
    Mississippi Missouri Montana Nebraska Nevada Hampshire Mexico Ohio Oklahoma
    Oregon Pennsylvania Rhode Island Tennessee Texas Utah Vermont Wisconsin Wyoming
    Okinawa Okinawan Hokkaido Kyushu Honshu Shikoku Guam Crimea Kashmir Tibet Xinjiang Siberia
    Gaza Sinai Kurdistan Catalonia Quebec Bavaria Sicily Sardinia Corsica Greenland Hawaiian Alaskan
    """.split()
)
