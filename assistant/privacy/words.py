"""The words practitioners use around the guidance's own: what stored text may keep.

Stored text keeps a word only when the guidance uses it or it is listed here; everything else
is replaced. The list is written by hand, small on purpose: a general English dictionary holds
Smith, Grace, Rose and Mark, so it cannot tell a lower-case name from a word. Words listed here
that are also names (will, grace, young) are handled by the name rules in names.py.
"""

from __future__ import annotations


def word_set(words: str) -> frozenset[str]:
    """The words of a whitespace-separated list."""
    return frozenset(words.split())


_FUNCTION = """
a about above across after afterwards again against ago ahead all almost alone along already also although always
am among amongst an and another any anybody anyone anything anyway anywhere are aren't around as at away back be
became because become becomes been before beforehand behind being below beside besides between beyond both but by
can can't cannot could couldn't did didn't do does doesn't doing don't done down during each either else elsewhere
enough etc even ever every everybody everyone everything everywhere except few first for former from further had
hadn't has hasn't have haven't having he he'd he'll he's her here hers herself him himself his how however i i'd
i'll i'm i've if in indeed instead into is isn't it it's its itself just last later least less let let's like
likely many may maybe me might mine more most mostly much must mustn't my myself near nearly neither never
nevertheless next no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
others otherwise ought our ours ourselves out outside over own per perhaps please quite rather really same
several shall shan't she she'd she'll she's should shouldn't since so some somebody someone something sometime
sometimes somewhere soon still such than that that's the their theirs them themselves then there there's
therefore these they they'd they'll they're they've this those though through throughout thus till to together
too toward towards under underneath unless unlike until up upon us very via was wasn't we we'd we'll we're we've
were weren't what what's whatever when whenever where whereas wherever whether which while who who's whoever
whole whom whose why will with within without won't would wouldn't yes yet you you'd you'll you're you've your
yours yourself yourselves
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty hundred thousand first second third fourth fifth sixth once twice half
"""

_VERBS = """
accept accepted act acted acting add added advise advised advice agree agreed allow allowed answer answered apply
applies applied approach approached arrange arranged arrive arrived ask asked asking assess assessed attend attended
avoid become began begin believe believed belong break breaking bring brought call called calling came care cared
carry carried cause caused change changed chase chased check checked choose chose close closed come comes coming
complain complained concern concerned confirm confirmed consider considered contact contacted continue continued
cover covered cry crying decide decided deciding declined describe described disagree disclose disclosed
disclosing discuss discussed email emailed end ended explain explained fall fell feel feeling feels felt fill find
finding follow followed forget forgot forward forwarded found get gets getting give given gives giving go goes
going gone got happen happened happening hear heard help helped helping hit hold holding hope hoped hurt include
included inform informed involve involved keep keeping kept know knowing known knows learn learned leave leaving
left lie lied listen live lived lives living look looked looking lose lost made make makes making mean means meant
meet meeting met mention mentioned mind miss missed missing move moved moving need needed needs notice noticed
obtain obtained offer offered open opened pass passed pay phone phoned pick picked plan planned post posted pressure
pressured prevent provide provided pull push put raise raised reach read reading receive received record recorded
recording refer referred refuse refused refuses remain remember remembered remove removed report reported
reporting request requested require required respond responded return returned ring rang run said say saying says
see seeing seem seemed seen send sending sent set share shared shares sharing show showed shown sign signed sit
smell smelled speak spoke spoken start started stay stayed stop stopped struggle struggling suggest suggested
suspect suspected take taken takes taking talk talked talking teach tell telling tells text texted think thinking
thought told took treat treated try tried trying turn turned understand understood use used uses using visit visited
wait waited walk walked want wanted wants warn warned watch went work worked working worry worried write writing
written wrote
"""

_PRACTICE = """
born unborn died death dead
mr mrs ms miss mx dr sir madam dob ref tel mob mobile postcode nhs ni re fao
abuse abused abuser abusive academy accident account address addresses adolescent adopted adoption adult adults age
aged agencies agency alcohol allegation allegations ambulance anxiety anxious appointment appointments arrest
arrested assault assessment assessments asylum attendance autism autistic baby babies bedroom behaviour belief
benefit benefits best birth bite bitten bleeding body boy boyfriend boys brother brothers bruise bruised bruises
bruising bullied bullying burn burns camhs car care carer carers case caseload cases centre chair chat child
childminder children children's class classroom client clients clinic college colleague colleagues concern
concerns conference confidential confidentiality consent contact council counsellor court cousin crime criminal
custody dad daddy daughter day days debt dentist department deputy designated detail details dinner disability
disabled doctor doctors domestic drug drugs dsl duty ehcp email emails emergency evidence exclusion excluded
exploitation face families family father feedback file files fine food form foster fostering friend friends
gang gp gran grandad
grandfather grandma grandmother grandparent grandparents granny grandpa nan nana nanna group guardian hand harm harmed head
headteacher health hearing home homeless homes hospital house household housing husband incident incidents
information injuries injury inspector interpreter issue issues job kid kids kinship lado language lawyer lead
learning letter life looked manager mark marks mash medical medication meeting mental message messages midwife
minister money month months morning mother mum mummy mum's name names neglect neighbour neighbours night note
notes number numbers nurse nursery officer online paediatrician parent parental parents parent's partner pastoral
patient people person phone photo photos physical pupil pupils police practitioner practitioners pregnant
pregnancy primary probation professional professionals psychologist radicalisation referral referrals
relationship relative relatives report reports risk risks room safe safeguarding safety school schools screenshot
secondary self senco service services sexual sibling siblings sister sisters sleep slap smacked social son staff
stepdad stepfather stepmother stepmum strategy student students substance suicidal suicide supervisor support
surgery teacher teachers teaching team teenager text texts therapist therapy toddler trafficking trust uncle unit
violence virtual visit visitor ward week weekend weeks welfare wife woman women worker workers year years youth
aunt auntie niece nephew twin twins girl girls girlfriend man men lady gentleman newborn infant pupil's son's
daughter's child's dad's mother's father's family's school's
"""

_EVERYDAY = """
able absent accurate actual actually afraid afternoon again alright angry annual anyone apart appropriate april
area asleep august autumn available aware bad badly basic bed big bit black blue bottom breakfast brief busy
certain cheap clean clear clearly cold common complete completely correct currently daily dark dear december
different difficult dirty early easy else email empty english enough evening exactly example extra fair false
far fast february fine free friday full funny good great green happy hard harder helpful high hot huge hungry
ill important incorrect january july june late later latest less little local lonely long low main march may
monday much new next nice normal november now october odd ok okay old older only open other outside own past
poor possible possibly pretty private proper quick quickly quiet ready real recent recently red right sad
safe saturday scared school second september serious short sick simple small sorry spring strange strong
sunday sure thanks thank thursday tired today tomorrow tonight true tuesday unclear unhappy unsure unwell upset
urgent useful useless usual usually weak wednesday weird well white winter wrong yesterday young younger
answer answers question questions guidance paragraph paragraphs para paras section sections chapter step steps
yes no maybe page link links search result results quote quoted cite cited reference references point points
england wales scotland ireland northern uk britain london nhs ofsted cafcass dfe ico gdpr dpa ehc mp mps
app apps whatsapp facebook instagram snapchat tiktok teams zoom internet website laptop tablet computer
christmas easter ramadan eid holiday holidays term half-term summer
hall wood woods hill hills king cook cooking field fields ford marsh cross bird birds fox lamb stone west east south
house bank banks river rivers mill mills brook brooks hunt hunter porter potter fisher butler barber mason miller
knight bishop dean chambers sharp hardy frost lord bond noble savage swift wall bush grant power law love gold church
brook dale heath lake moss pool gill bell price lane wells brown gray grey miles bull finch rice kirk reed steel
summers wade walker baker carter cooper taylor turner parker page short north rose hope long little day may will
"""

_TOOLS = """
gillick fraser competence calpol paracetamol inhaler asthma adhd asd sen send oasys assetplus marac mappa cin cp
universal credit crown magistrates family court outlook gmail paper paperwork mate mates bloke lads lad apprentice
"""

_ALL = f"{_FUNCTION} {_VERBS} {_PRACTICE} {_EVERYDAY} {_TOOLS}"
PRACTICE_WORDS = word_set(_ALL)

# Months and days: capitalised mid-sentence because they are names of times, not of people.
TIME_WORDS = word_set(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday christmas easter"
)

# Nations, regions and large places: capitalised, but they name no one. A town that is missing is replaced
# in stored text and may set the page's warning off, which errs on the safe side.
PLACES = word_set(
    """
    england english wales welsh scotland scottish ireland irish northern british britain uk europe european
    london birmingham manchester liverpool leeds sheffield bristol newcastle nottingham leicester coventry bradford
    cardiff swansea newport wrexham glasgow edinburgh aberdeen dundee belfast derry plymouth southampton portsmouth
    brighton oxford cambridge york hull norwich exeter gloucester norfolk suffolk kent essex surrey sussex devon cornwall
    yorkshire lancashire cumbria durham midlands medway luton reading milton keynes stoke derby wolverhampton sunderland
    france spain italy germany poland romania portugal pakistan india bangladesh nigeria ghana somalia eritrea syria
    afghanistan iraq iran turkey china jamaica america american polish romanian pakistani indian african
    """
)
