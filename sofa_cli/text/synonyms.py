"""Words that say the same thing, written for sofa (nltk's WordNet needs a data download).

People ask in other words than the text uses: "when did he die?" of "his death in 1227",
"who founded it?" of "established by". Each line is a group; inflections may be listed,
but stems match them anyway. General English only, nothing fitted to one corpus: a word
of the question finds its group's other words in a sentence, at a fraction of its weight
(`sofa_cli.query.config.Weights.synonyms`), since a synonym is weaker evidence than the word itself.
The index stores the groups' stems that its corpus holds (`index.synonym_groups`), so
the query path needs no stemmer.
"""

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = tuple(
    tuple(line.split())
    for line in """
    die died dies dying death deaths dead
    kill killed killing slay slain murder murdered
    begin began begun beginning start started starting commence commenced
    end ended ending finish finished conclude concluded
    start founded found establish established establishment
    create created creation make made produce produced
    build built construct constructed construction erect erected
    buy bought purchase purchased acquire acquired acquisition
    sell sold sale
    large big huge great vast
    small little tiny
    old ancient
    new modern recent
    first earliest initial original
    last final latest
    main primary principal chief major
    many numerous
    allow allowed permit permitted
    forbid forbidden prohibit prohibited ban banned
    need needed require required requirement
    use used using utilize utilized employ employed
    show showed shown demonstrate demonstrated
    help helped aid assist assisted
    famous renowned well-known
    rule ruled reign reigned govern governed
    fight fought battle war
    money funds funding cost finance financed
    people population inhabitants residents
    city town
    country nation
    leader head chief
    king monarch
    author writer wrote written
    write wrote written
    speak spoke spoken talk
    call called name named term termed
    choose chose chosen select selected elect elected
    win won victory
    lose lost defeat defeated
    beat defeated defeat
    attack attacked assault invade invaded invasion
    leave left depart departed
    arrive arrived reach reached
    move moved relocate relocated transfer transferred
    increase increased rise rose grow grew growth
    decrease decreased decline declined fall fell drop dropped reduce reduced
    cause caused lead led result resulted
    stop stopped halt halted cease ceased
    continue continued remain remained
    change changed alter altered modify modified
    try tried attempt attempted
    get got obtain obtained receive received gain gained
    give gave given provide provided grant granted
    keep kept retain retained maintain maintained
    hold held contain contained include included
    consist consists comprise comprises
    marry married wife husband
    born birth
    child children son daughter
    father dad
    mother mom
    live lived reside resided
    work worked job employment
    study studied research
    teach taught teacher
    discover discovered discovery
    invent invented invention inventor
    destroy destroyed destruction
    protect protected protection defend defended defense defence
    happen happened occur occurred
    believe believed think thought
    want wanted desire
    appear appeared seem seemed
    become became
    mean meant
    fast quick quickly rapid rapidly
    slow slowly
    high tall
    near nearby
    far distant
    rich wealthy
    poor poverty
    often frequently
    rarely seldom
    approximately roughly around
    enough sufficient
    difficult hard
    easy simple
    important significant
    similar alike
    different distinct
    whole entire
    company firm business
    school academy
    university college
    church cathedral
    army military troops soldiers
    ship vessel boat
    car automobile vehicle
    road street
    river stream
    sea ocean
    land territory
    area region
    border boundary
    government administration
    law laws legislation
    group organization organisation
    team club
    game match
    song songs music
    film movie
    job occupation profession
    illness disease sick
    doctor physician
    medicine drug drugs medication
    price cost
    amount quantity
    year years annual annually
""".strip().splitlines()
)
