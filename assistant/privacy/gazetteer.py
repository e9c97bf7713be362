"""Common given names and surnames in the UK, lower case, written by hand for this project.

Drawn from general knowledge of names common across the generations now in families and
services (children, parents, grandparents) and across the UK's larger communities. A name that
is missing is still caught by the other rules when it is capitalised or unknown; this list is
what lets a lower-case or all-capitals name be seen at all.
"""

from __future__ import annotations

from assistant.privacy.words import word_set

_GIVEN = """
aaliyah aaron abbie abby abdul abdullah abena abigail adam adil aditya adrian agnes agnieszka ahmed aidan aiden aimee
aisha alan alana alasdair albert alex alexa alexander alexandra alexis alfie alfred ali alice alicia alison alistair
alun amanda amara amber amelia amelie amir amira amit amy ana andre andrea andrei andrew andy angela angelina angus
anita anjali ann anna annabel annabelle anne annette annie anthony antonia antony april archie aria arjun arlo arran
arthur aryan asha ashleigh ashley ashton aston aubrey audrey austin ava avery ayaan ayesha ayla azra barbara barry
beatrice bella ben benjamin bernard beth bethan bethany betty beverley bianca bilal billy blake bobby bogdan bonnie
brandon brenda brett brian bridget brooke bruce bryan caitlin caleb callum calvin cameron cara carl carla carly carol
caroline carys cassie catherine cerys chantelle charlene charles charley charlie charlotte chelsea cheryl chloe
chris christian christina christine christopher cian ciara ciaran claire clara clare clive cody colin connie connor
conor corey courtney craig curtis cyril daisy dale damian damien dan dani daniel daniela danielle danny daphne darcey
darcie darcy darius darren darryl dave david dawn dean debbie debra declan deborah delilah denise dennis derek
desmond dev diana diane dionne dominic donna doreen doris dorothy douglas duncan dylan eddie edith edward edwin eileen
elaine eleanor eleri elena eli elias elijah elin eliot eliza elizabeth ella elle ellie elliot elliott ellis eloise
elsie emeka emilia emily emma emyr enid eoin eric erin ernest esme esmee esther ethan euan eva evan evelyn evie ewan
ezra faisal faith fatima faye felicity felix femi ffion filip finlay finley finn fiona florence frances francesca
francis frankie fraser freddie freddy frederick freya gabriel gabriella gail gareth garry gary gavin gemma geoffrey
george georgia georgina gerald geraldine gethin gillian gina glen glenn gordon grace gracie graeme graham grant
gregory gwen hafsa hallie hamish hamza hannah harjit harley harold harper harriet harrison harry harvey hassan hattie
hayden hayley hazel heather heidi helen henry hollie holly howard hugh hugo huw iain ian ibrahim imogen imran iona
ioana iqra irene iris irfan isaac isabel isabella isabelle isla ismail isobel ivan ivy iwan jack jackie jackson
jacob jacqueline jade jaden jake jakub james jamie jan jane janet janice jasmine jason jasper jaspreet jaxon jay
jayden jayne jean jeanette jemma jenna jennifer jenny jeremy jesse jessica jessie jill jim jimmy joan joanna joanne
jodie joe joel joey john johnny jonah jonathan jordan joseph josephine josh joshua josiah josie joy joyce jude judith
judy julia julian julie june justin kacper kai kamran kara karen karl kasia kate katherine kathleen kathryn katie
katy kay kayden kayla kayleigh keeley keira keith kelly ken kenneth kerry kevin khadija khalid kian kieran kiera
kim kirsten kirsty kofi kwame kyle lacey lara laura lauren layla leah leanne lee leigh leila leo leon leonard leslie
levi lewis lexi liam libby lilly lily linda lindsay lindsey lisa lloyd logan lola lorna lorraine lottie louie louis
louise lowri luca lucas lucy luke luna lydia lynda lynn lynne mabel macy maddison madeleine madison maisie malcolm
mandy marcus margaret maria mariam marian marie marilyn marion mark marley martin martyn mary maryam mason mateo
mateusz matilda matt matthew maureen maurice max maxine maya megan mehmet melanie melissa mia michael michaela
michelle mihai mike mila miles millie milo miriam mohamed mohammad mohammed mohammad molly mollie morag morgan
muhammad mustafa nadia nancy naomi natalia natasha nathan nathaniel neil nia niall niamh nicholas nicky nicola
nicole nigel nikki nina nisha noah noor norma norman oliver olivia oliwia ollie omar orla oscar otis owain owen
paige pamela patricia patrick paul paula pauline penelope penny peter philip phillip phoebe piotr pippa polly
poppy pooja precious priya rachael rachel raheem raj rajesh rayan rebecca reece reggie rehan reuben rhiannon rhodri
rhys richard ricky riley rita rob robbie robert roberta robin robyn rohan roman ronald ronnie rory rosa rosalind
rose rosemary rosie ross rowan roxanne ruby rudy rupert russell ruth ryan sadie safa saima sajid sally sam samantha
samir samuel sana sandra sanjay sara sarah sasha savannah scarlett scott sean sebastian serena seren shane shannon
sharon shaun sheila shelley shirley shreya sian sienna simon siobhan skye sofia sonia sonny sophia sophie stacey
stanley stella stephanie stephen steve steven stewart stuart sue sunil sunita susan suzanne sylvia szymon tamara
tanya tariq tegan teresa terence terry thea theo theodore thomas tia tiffany tilly tim timothy tina toby tom tomasz
tommy toni tony tracey tracy trevor tristan troy tyler umar usman valerie vanessa vera verity veronica victor victoria
vikram vincent violet vivienne wayne wendy wilfred will william willow winifred yasmin yusuf yvonne zac zach zachary
zahra zain zainab zara zayn zoe zuzanna
"""

_SURNAMES = """
abbott adams ahmed akhtar akram ali allen anderson andrews archer armstrong arnold ashworth atkinson austin aziz
bailey baker ball banks barber barker barlow barnes barnett barrett barry barton bashir bates baxter begum bell
bennett benson berry bevan bibi birch bird bishop black blackburn blake bolton bond booth bowen boyle bradley brady
brennan brooke brooks brown browne browning bruce bryant buckley bull burgess burke burns burrows burton bush butler
butt byrne cairns campbell carr carroll carter cartwright chadwick chambers chan chandler chapman charlton chauhan
chaudhry chen choudhury chowdhury clark clarke clayton clements coates cole coleman collier collins connolly conway
cook cooke cooper cox craig crawford cross crossley cunningham curtis dale dalton daly das davey davidson davies
davis dawson day dean dennis desai dickinson dixon dobson dodd doherty donnelly doyle duffy duncan dunn dyson eaton
edwards elliott ellis evans farrell faulkner fenton ferguson field fields finch fisher fitzgerald fleming fletcher
flynn ford forster foster fowler fox francis fraser freeman french frost fry fuller gallagher gardner garner gibbons
gibbs gibson gilbert gill goddard golding goodwin gordon gough gould graham grant gray green greenwood gregory grey
griffin griffiths gupta hale hall hamilton hammond hancock hanson harding hardy harper harris harrison hart harvey
hawkins hayes haynes heath henderson henry hewitt hicks higgins hill hobbs hodgson holden holland holloway holmes holt
hooper hope hopkins horton hossain houghton howard howarth howe howell howells hudson hughes humphreys hunt hunter
hurst hussain hussein hutchinson hyde iqbal ingram islam jackson james jarvis jenkins jennings johnson johnston jones
jordan joseph joshi kaur kay kelly kemp kennedy kent kerr khan king kirby kirk knight knowles kowalski kumar lamb
lambert lane lawrence lawson lee lewis li lin lister little liu lloyd long lord lowe lucas lynch lyons macdonald
mackay mackenzie macleod mahmood malik mann manning marsh marshall martin mason matthews maxwell may
mccarthy mcdonald mcgrath mckenzie mclaughlin mclean mellor mehta mensah miah middleton miles miller mills mistry
mitchell mohammed moore moran morgan morris morrison morton moss murphy murray nash naylor nelson newman newton
nguyen nicholls nicholson noble nolan norman norris north nowak o'brien o'connell o'connor o'neill o'sullivan
okafor oliver osborne owen owens owusu page palmer parker parkinson parmar parry parsons patel paterson patterson
payne pearce pearson perkins perry phillips pickering porter potter powell power pratt preston price pritchard
probert pugh quinn qureshi rahman randall rashid read reed rees reeves reid reynolds rhodes rice richards richardson
riley roberts robertson robinson robson rogers rose ross rowe rowley russell ryan sanders saunders savage schofield
scott sharma sharp shaw sheikh shepherd short siddiqui simmons simpson sims sinclair singh skinner slater small smith
solanki spencer steele stephens stephenson stevens stevenson stewart stokes stone storey sullivan summers sutton swift
sykes taylor thomas thompson thomson thornton tomlinson townsend tran tucker turner uddin vaughan vickers wade walker
wall wallace walsh walters walton wang ward warner warren watkins watson watts webb webster wells west weston wheeler
white whitehead whittaker wilkins wilkinson williams williamson willis wilson winter wood woods woodward wright yates
young yousaf zhang
"""

GIVEN_NAMES = word_set(_GIVEN)
SURNAMES = word_set(_SURNAMES)
