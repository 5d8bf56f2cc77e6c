// Word lists for generated sample customers. Combinations are fictional; any resemblance to a
// real person is coincidence.

// prettier-ignore
export const FIRST_NAMES = [
  'Aaliyah', 'Abel', 'Adaeze', 'Adrian', 'Agnes', 'Aiko', 'Alba', 'Aleksander', 'Alma', 'Amara',
  'Ambrose', 'Anouk', 'Anselm', 'Arjun', 'Astrid', 'Aurelio', 'Beatrix', 'Benedikt', 'Bettina',
  'Bianca', 'Bjorn', 'Blessing', 'Bruno', 'Camille', 'Casimir', 'Celeste', 'Chiara', 'Cillian',
  'Cosima', 'Dagny', 'Dalia', 'Damian', 'Delphine', 'Desmond', 'Dorothea', 'Eamon', 'Edith', 'Elif',
  'Elio', 'Emeka', 'Esme', 'Eun-ji', 'Evander', 'Fabienne', 'Farida', 'Felix', 'Fenna', 'Florian',
  'Freya', 'Gaspard', 'Genevieve', 'Gideon', 'Greta', 'Gustavo', 'Hana', 'Hamish', 'Helga', 'Hugo',
  'Ilse', 'Imogen', 'Ingrid', 'Isandro', 'Ivo', 'Jasper', 'Joaquim', 'Jovana', 'Kaito', 'Katarina',
  'Kiran', 'Klaus', 'Leandro', 'Liesel', 'Linnea', 'Lorcan', 'Lucia', 'Maeve', 'Magnus', 'Malika',
  'Matthias', 'Milena', 'Mirela', 'Nadia', 'Niamh', 'Nikolai', 'Noor', 'Octavia', 'Odile',
  'Olumide', 'Oskar', 'Paloma', 'Pascal', 'Priya', 'Quentin', 'Rafaela', 'Rasmus', 'Rosalind',
  'Ruben', 'Saoirse', 'Sebastien', 'Signe', 'Soren', 'Svetlana', 'Tamsin', 'Teodor', 'Thea',
  'Tobias', 'Ulrike', 'Valentin', 'Vesna', 'Wilhelmina', 'Xavier', 'Yara', 'Yusuf', 'Zofia',
  'Zoltan', 'Anneliese', 'Bartholomew', 'Clementine', 'Dmitri', 'Evangeline',
];

// prettier-ignore
export const LAST_NAMES = [
  'Abernathy', 'Achterberg', 'Adeyemi', 'Albrecht', 'Almeida', 'Andersson', 'Arbuthnot',
  'Bacchetta', 'Balogun', 'Barrington', 'Beaumont', 'Bergstrom', 'Bianchi', 'Blackwood',
  'Bogdanovic', 'Brennan', 'Calloway', 'Castellano', 'Chakraborty', 'Charbonneau', 'Cunningham',
  'Dalgaard', 'Delacroix', 'Dimitriou', 'Donnelly', 'Drummond', 'Eberhardt', 'Echeverria',
  'Ellingsen', 'Esposito', 'Fairweather', 'Fitzgerald', 'Fontaine', 'Friedrichsen', 'Gallagher',
  'Garibaldi', 'Giordano', 'Gunnarsson', 'Halvorsen', 'Hargreaves', 'Hausmann', 'Hollingsworth',
  'Iglesias', 'Ivanova', 'Jankowski', 'Johansson', 'Kaczmarek', 'Kavanagh', 'Kowalczyk',
  'Kristiansen', 'Lachance', 'Lindqvist', 'Lombardi', 'Lovelock', 'Mackintosh', 'Maldonado',
  'Marchetti', 'Mbeki', 'McAllister', 'Moreau', 'Nakamura', 'Nakashima', 'Nieminen', 'Nowicki',
  'Obradovic', 'Okafor', 'Olafsdottir', 'Ostrowski', 'Pacheco', 'Pemberton', 'Petrovic', 'Quintero',
  'Radcliffe', 'Ramaswamy', 'Rasmussen', 'Rothschild', 'Saarinen', 'Santangelo', 'Schellenberg',
  'Silvestri', 'Sorensen', 'Stavropoulos', 'Szabo', 'Takahashi', 'Tamborino', 'Thorvaldsen',
  'Trevelyan', 'Underwood', 'Valdivia', 'Vanderbilt', 'Vasquez', 'Villeneuve', 'Wainwright',
  'Westergaard', 'Whitcombe', 'Wojcik', 'Yamamoto', 'Yilmaz', 'Zamora', 'Zielinski', 'Zimmermann',
  'Ashcombe', 'Bellweather', 'Cattermole', 'Dunleavy', 'Elsworth', 'Featherstone', 'Grimaldi',
  'Hawthorne', 'Inglethorpe', 'Jessop', 'Kingsley', 'Larkspur', 'Merriweather', 'Northcott',
  'Oyelaran', 'Penhaligon', 'Quarrington', 'Rowntree', 'Sallow',
];

// prettier-ignore
export const STREETS = [
  'Acacia Avenue', 'Alder Close', 'Beacon Street', 'Birch Lane', 'Brookside Drive', 'Canal Street',
  'Cedar Grove', 'Chapel Road', 'Cherry Walk', 'Clover Crescent', 'Copper Row', 'Elm Terrace',
  'Ferry Road', 'Foxglove Way', 'Garden Place', 'Granite Court', 'Harbour View', 'Hazel Mews',
  'Heron Quay', 'Juniper Hill', 'Kestrel Rise', 'Lantern Yard', 'Laurel Gardens', 'Maple Parade',
  'Marigold Lane', 'Meadow Bank', 'Mill Race', 'Nightingale Road', 'Oak Parkway', 'Orchard Street',
  'Pebble Lane', 'Poplar Avenue', 'Primrose Hill', 'Quarry Road', 'Rosemary Close', 'Rowan Drive',
  'Saffron Walk', 'Salt Marsh Lane', 'Spruce Street', 'Tanner Row', 'Thistle Court',
  'Tidewater Way', 'Valley Road', 'Walnut Grove', 'Willow Bend', 'Wren Street', 'Yew Tree Lane',
  'Linden Boulevard', 'Observatory Street', 'Riverside Walk',
];

// prettier-ignore
export const CITIES = [
  'Aberdeen AB10', 'Bath BA1', 'Bristol BS8', 'Cambridge CB2', 'Cardiff CF10', 'Chester CH1',
  'Dundee DD1', 'Durham DH1', 'Edinburgh EH3', 'Exeter EX4', 'Glasgow G12', 'Inverness IV2',
  'Lancaster LA1', 'Leeds LS6', 'Lincoln LN2', 'Liverpool L17', 'Manchester M20', 'Norwich NR2',
  'Nottingham NG7', 'Oxford OX2', 'Plymouth PL4', 'Sheffield S10', 'Swansea SA2', 'York YO31',
  'Belfast BT9', 'Brighton BN1', 'Canterbury CT1', 'Derby DE22', 'Galway H91', 'Salisbury SP1',
];

// prettier-ignore
export const AREA_CODES = [
  '212', '213', '206', '303', '305', '312', '404', '415', '503', '512', '602', '617', '702', '713',
  '718', '801', '808', '860', '907', '919',
];
