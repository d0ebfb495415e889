"""The third to twenty-first held-out sets, each written after every triage change before it and
measured once on arrival.

tests/data/heldout_messages_3.jsonl: 120 messages with the outcome an agent would choose (30
emergencies, 24 legal-route referrals, 16 contacts with nothing to act on, 50 ordinary appeals of
which 22 are near misses). Nothing was revised after it arrived; the floors below hold what it
measured (the rules of the session's start in brackets):

    emergency to the right service   27/30   (23/30)
    referral to the right route      22/24   (18/24)
    not accepted                      9/16   (9/16)   joke requests, harassment, wishes
    dispatched                       49/50   (49/50)  "信访局门口那个公交站牌…" is referred

The seven contacts it found accepted then prompted trolling patterns (jokes and harassment of the
operator, refused whatever words surround them) and greetings of the season: 16/16 after, with
no new refusal among the ordinary sets (tests/unit/test_contact_wording.py).

tests/data/heldout_messages_4.jsonl, written after all of that (120 messages, the same mix, 38
longer than 40 characters), on arrival (the session's starting rules in brackets):

    emergency to the right service   27/30   (22/30)
    referral to the right route      18/24   (16/24)
    not accepted                     10/16   (9/16)
    dispatched                       48/50   (48/50)

Its revision: an official's 拿公款 and a 中队长 who 收钱, a decision by 区里 the caller does not
accept, 违法解除 with a claim, 确认劳动关系, 递交到信访部门, a place named after a court or a
petitions office (法院执行局旁边的公厕) is no referral, 着火了咋整 is a question, 你们这些废物,
a joke, a chat or a photo asked of the operator, and an agent's note of a wrong number: 116/120
after (27, 24, 15, 50); set 3 then dispatched 50/50.

tests/data/heldout_messages_5.jsonl, written after all of that by a writer who saw no rule (120
messages, the same mix, 12 near misses among the ordinary appeals), on arrival:

    emergency to the right service   28/30   a warehouse fire whose victims were "not yet known"
                                             (是否 read as a question); an ATM skimmer at work
                                             sent to 120 by a broken "something stuck" pattern
    referral to the right route      14/24   colloquial: 抚养费一分没给, 要政府裁定谁对谁错,
                                             这个决定我不认, 信访处理意见不服, 村支书收了两条烟
    not accepted                      8/16   flirting, 开啥号, a misdial, fillers, a spouse's phone
    dispatched                       49/50   a ramp seen while visiting the petitions office

Its revision: 119/120 (30, 24, 15, 50), with no other text among the 8,946 of tests/data and the
emergency examples changing outcome; only the chat about a cat stays accepted. 90 ordinary appeals
then written to sit at the edge of every other outcome (tests/data/ordinary_probes.jsonl): 9 were
not dispatched, all by rules older than the revision (不会打官司, 本来想去信访局, a lost
document read as a missing father, a dog that 不咬人, bikes 推进楼道); 0/90 after.

tests/data/heldout_messages_6.jsonl, written meanwhile by another writer who saw no rule, on
arrival:

    emergency to the right service   27/30   a drowned child (冒得气了) sent to 119, a collapse
                                             with a cry for help sent to 110, a child in a river
                                             to 110 (the rules' convention, left alone)
    referral to the right route      11/24   二倍工资, 经济补偿 (not 经济补偿金), 劝退 while
                                             pregnant, a judgment not paid, a debt with an IOU, an
                                             inheritance dispute, 结论我不服, a window clerk who
                                             hints at a 红包, 扶贫款 shared out, 环评报告全文
    not accepted                      7/16   flirting, homework, fortune telling, game tips, a
                                             partner's phone location, a test, keyboard mash
    dispatched                       46/50   a fight the police settled, a judgment shown for a
                                             户口 transfer, a paid arbitration award

Its revision: 119/120 (29, 24, 16, 50); a bare cry for help gives way to the danger the wider
lexicon names, and jokes or private requests are not read for dangers by the model.

tests/data/heldout_messages_7.jsonl, written after both revisions by a third writer who saw no
rule, on arrival:

    emergency to the right service   29/30   smoke filling a corridor, in Cantonese (燶味, 快啲嚟)
    referral to the right route      11/24   N+1, 证明我是他们的人, 推翻这个处罚, 决定不对,
                                             信访办递过材料, a copy of a 规划许可证, 八十多桌
    not accepted                      8/16   机器人还是真人, homework, an essay, fortune telling,
                                             a husband's phone location, 按错了…想打给
    dispatched                       46/50   a judgment shown for a 户口 move, arbitration records
                                             as evidence, a sagging wire "没冒火花", an earlier
                                             信访 "已经解决了"

Its revision: 119/120 (30, 24, 15, 50); a message on a legal route is not read for dangers by the
model (an inheritance dispute had read 0.82 for 110). A second batch of 100 ordinary appeals at
the edges (tests/data/ordinary_probes_2.jsonl), written after it: 95/100 dispatched on arrival
(a robot question and a misdial inside real appeals refused, a 信访 already solved and a threat
to sue the caller referred); 100/100 after.

tests/data/heldout_messages_8.jsonl, written in a later session by a writer who saw no rule and
was asked to avoid the scenarios the earlier sets over-used, on arrival:

    emergency to the right service   26/30   money being sent to a 安全账户 at a bank counter;
                                             a seizure in Cantonese (叫佢都唔应); a driver trapped
                                             after a pile-up sent to 119, an elevator with a child
                                             short of breath sent to 120 (both left alone)
    referral to the right route      12/24   调解没用…钱找谁要, a house left by a grandmother, a
                                             tenant eight months behind, overtime claimed after
                                             leaving, 让我走人…补偿, 罚得没道理, 不予受理…不认可,
                                             复查意见…复核, 公家的车, 塞两条中华就好办, 收购物卡,
                                             a road contract given to a 小舅子
    not accepted                      6/16   flirting, matchmaking, what to eat, a joke about the
                                             number, weather, a Cantonese hello, an invitation,
                                             a misdial and a homework joke transferred to 110
    dispatched                       47/50   救命啊 before a square-dance complaint (110), straw
                                             smoke (119), a parents' group that 炸了 (119)

Its revision: 117/120 (28, 24, 15, 50); of the 5,553 other texts of tests/data and the emergency
examples, three changed outcome, each to its label or a fair reading: straw smoke is no fire, a
dismissal without compensation is referred to arbitration, 罚得没道理 is referred to
reconsideration. The abuse "吃干饭的废物…打了八百遍有个屁用" stays accepted (an insult beside
words is read as a complaint).

tests/data/heldout_messages_9.jsonl, written in a later session by a fifth writer who saw no rule,
told to avoid the scenarios the earlier sets over-used and to mix agents' summaries, sloppy text
messages and transcribed speech (some in dialect, in traditional characters or in English), on
arrival:

    emergency to the right service   23/30   a child not home hours after school, money about to
                                             go to a "安全账户" (quoted), a worker hanging from a
                                             billboard, a collapse with cries from the rubble; a
                                             child in a river sent to 110 (the writer: 119); two
                                             road accidents with the injured sent to 120 (the
                                             writer: 122; left alone, as the rules' convention)
    referral to the right route      18/24   进行复议, 申请农村土地承包仲裁, 怀孕…逼着辞职, a
                                             公务用车 taken home, 公款请客; five years of 社保 not
                                             paid (the writer: arbitration; left alone, the
                                             social-insurance office collects arrears)
    not accepted                      9/16   the operator's favourite colour, a maths problem, 逗你
                                             耍的, 不是外卖店啊…打错了, 测试…能不能打通, 你多大了
                                             有对象没, a lonely chat
    dispatched                       48/50   救命啊 before three months of a neighbour's noise
                                             (110), playground rust 怕小孩受伤 (120)

Its revision: 117/120 (28, 23, 16, 50). Falling into water now goes to 119 (the fire and rescue
service does water rescue): five labelled sets had said 119 and two 110, and those two labels
and their emergency examples were changed, the model retrained. Of the 8,261 other texts, only
those 15 drowning texts changed outcome.

tests/data/heldout_messages_10.jsonl, written in a later session by a sixth writer who saw no rule,
told to avoid the earlier writers' styles: web and mini-program forms, pinyin-input typos, very
short and rambling texts, English and mixed Chinese-English, emoji; on arrival:

    emergency to the right service   26/30   a warehouse fire in English (black smoke, flames);
                                             a rear-end crash with no one hurt, the other driver
                                             not moving and traffic backing up, in Chinese
                                             (交警能不能过来 read as a question) and in English; a
                                             driver weaving (蛇形) on an expressway, followed now
    referral to the right route      17/24   经济补偿金 asked a sentence after a factory's move
                                             (the employer and the claim had to share a sentence),
                                             双被工资, dismissed when pregnant (English), a clerk
                                             who 暗示包个红包, a village secretary's house built
                                             with 村集体的钱, a tax decision to be "reviewed and
                                             overturned", disclosure under the Regulations
    not accepted                      9/16   an SMS sent to the wrong person (发错了), "is this
                                             Lucky Pizza?", a maths word problem, a report of
                                             one's own cat, naming a baby, 🖕 and 滚, "Test
                                             message, please ignore."
    dispatched                       46/50   救命啊！！！ before a week of a neighbour's disco (the
                                             mask's window stopped at the exclamation marks, 110),
                                             barbecue fumes (整个单元都是烟, 119), a tree blown down
                                             last night that nobody has cleared (119); "请问依申
                                             请公开政府信息一般去哪个窗口提交" is referred

Its revision: 119/120 (30, 24, 16, 49). Exclamation marks after 救命啊 no longer end the window in
which the complaint is read; cooking fumes and 没砸到人 are masked, "到现在没人清理" reads as calm;
asking whether the traffic police can come is no calm question, a moving position (现在在…方向,
刚过…出口) and an other driver who will not move say the danger is now, and a car weaving ahead
(蛇形, 画龙) goes to 122; English wording for fire, crashes, dismissal, review and disclosure;
经济补偿金 claimed after the employer was named in an earlier sentence, the spellings of 双倍工资,
a hinted 红包 a clause or two from the clerk, collective money spent on an official's own house;
a misdirected SMS, a food order, one's own pet reported, naming a child, a word problem (甲乙两管),
🖕, 滚 and 你们全是骗子 as abuse, a test message. Of the 9,934 other texts of tests/data and the
emergency examples, none changed outcome. Left alone: the question of which window takes a
request for disclosure stays a referral to information_disclosure, as the route's guidance is
exactly the answer to how and where to apply.

tests/data/heldout_messages_11.jsonl, written in a later session by a seventh writer who saw no
rule: speech-recognition output without punctuation and with homophones (幺二三四五 for 12345),
low-literacy texts, formal letters from lawyers and companies, counter staff's notes (来人称…);
on arrival:

    emergency to the right service   27/30   a child fallen into a park lake, named after the
                                             lake (湖里掉进去一个小孩: the rescuer's 跳下去 read
                                             for 110); a car in a flooded underpass, water at the
                                             windows, doors stuck (救命 alone, 110); a drunk man
                                             who just drove off sent to 110 (the writer: 122)
    referral to the right route      14/24   a lawyer's letter on a 民间借贷纠纷, a 个人房东 keeping
                                             a deposit, 明天不用来了…该给的经济补偿一分不能少, a
                                             recognised work injury underpaid, 把劳动关系确认下来,
                                             road money gone while the secretary's house grows,
                                             收了人家的好处才给办低保, 撤销该决定, 这个罚单我不认;
                                             an objection to a 信访局复核意见书 read as
                                             reconsideration
    not accepted                      4/16   a silent call noted (来电无声…挂断), 打来骂你们的…不服
                                             你来打我啊 (110), a sum quiz, 测试…这个小程序, a
                                             takeaway order chased, flirting, love advice, a
                                             child's essay, fillers, a US visa, a dream, a game
                                             top-up
    dispatched                       48/50   a law student's question on 行政复议 and a small
                                             company's on 劳动仲裁, each with no case of its own

Its revision: 119/120 (29, 24, 16, 50). A fall into water named after the place, someone struggling
in it (扑腾, 挣扎) and, in the wider lexicon, every fall into water go to 119 (the water_rescue
convention); water at the windows of a car with people in it, or its doors stuck in the water, go
to 119 (a parked car flooded is a complaint); a dare (不服你来打我) is masked and counts as abuse,
and calling only to insult is refused. A 民间借贷 dispute or an IOU unpaid, a private landlord's
deposit; 不用来了 as a dismissal before a claim, an underpaid work injury after 工伤认定 or
鉴定…级, 把劳动关系确认下来; allocated money gone under an official, 他家倒是盖了…, a favour taken
for an official act (收了好处才给办); 撤销该决定, 对决定书提出异议, 罚单我不认 (not a property
manager's ticket); a 信访 复查/复核 opinion is the petition route, not reconsideration. Silent-call
notes, more test and filler wording, quizzing the operator, a takeaway order chased, flirting about
the operator's voice, love advice, a child's essay, a foreign visa, dreams and game top-ups are
refused. "没有什么具体的案子", "现在没有纠纷" and an employer's "如果员工申请劳动仲裁" are no
referral. Of the 10,054 other texts of tests/data and the emergency examples, five falls into water
changed outcome, 110 → 119, each labelled with 119 among its services (in both emergency_wording
and the emergency examples). Left alone: the drunk man driving off stays with 110, as the earlier
labelled sets send a drunk about to drive (both services handle drunk driving).

tests/data/heldout_messages_12.jsonl, written in a later session by an eighth writer who saw no
rule: villagers, older people with idioms and old-fashioned words, internet slang, foreigners
writing imperfect Chinese, delivery riders, replies to hotline SMS, seasonal matters; on arrival:

    emergency to the right service   29/30   a child through the ice of a fish pond, only the
                                             head out (冰面塌了掉下去, 就剩个脑袋在外头扑腾: the
                                             救命 alone read, 110)
    referral to the right route      18/24   先父遗下老宅…分家析产, a foreigner's landlord who
                                             不还我押金 and "是一个人，不是公司", 东家辞退…言明补偿
                                             …翻脸不认, road money 揣自己兜里, a 村会计 and a
                                             township cadre who 冒领征地补偿款, a fine by 出入境的
                                             警察 and "我不同意这个决定" two sentences later
    not accepted                      6/16   abuse around 都是机器人接, 给我分配个对象, 你们城里
                                             下雪了没, 打错了…订桶装水, 打错号码了…找朋友小王, a
                                             cat to be persuaded (劝劝它), 测试短信请勿回复, a son
                                             asked about coming home for the New Year, a prayer
                                             for the 高考, a game rank boosted for a 红包
    dispatched                       49/50   a thesis writer asking for the labour arbitration
                                             procedure and where to apply, with no dispute

Its revision: 119/120 (30, 24, 15, 50). The ice giving way under someone (冰面塌了…掉下去) joins
the wider lexicon's falls through ice, and only a head out of the water, splashing, joins the
struggling pattern (119). A parent's house left in old words (先父遗下老宅, 亡母遗留) and 分家析产
in dispute; 房东是一个人 / 就是个人 and 不还我押金 for the private landlord; compensation promised
at a dismissal and then denied (言明, 答应, 说好…翻脸不认, 反悔); public money 揣兜里 or 装腰包
(money, not a wallet); an official or village accountant who 虚报, 冒领 or 套取 compensation or
subsidies; a fine by the police, 出入境 or 海关 objected to sentences later (不同意这个决定,
想要取消它); a procedure asked for a thesis, a course or homework is no referral. A partner
allocated by the government; a weather question only when nothing but chit-chat follows (the older
"你们那边下雨" pattern had refused whatever followed it); 打错号码了 and a misdial that meant to
order or find someone, unless a complaint follows; 请勿回复 after a test SMS; persuading one's own
pet; asking the hotline to ask a relative whether they come home; praying to "你们" for an exam;
boosting a game rank. Of the 10,174 other texts of tests/data and the emergency examples, none
changed outcome. Left alone: "你们这帮吃干饭的，打了八百遍都是机器人接，一群废物，滚！" stays
accepted, as a complaint that the hotline answers only with a robot (set 8's "打了八百遍有个屁
用" was left the same way); a fall into water already rescued still reads as 119, before and after.

tests/data/heldout_messages_13.jsonl, written in a later session by a ninth writer who saw no
rule, as the public writes on an ordinary week: plain, direct, short, the commonest phrasings; on
arrival:

    emergency to the right service   29/30   a car 左右乱晃 on a national road, the driver
                                             thought drunk, heading to town now (the weaving
                                             words knew only 蛇形, 画龙…; the model read 110)
    referral to the right route      13/24   a second-hand flat's seller who backed out and keeps
                                             the 定金, a divorced mother kept from her child, a
                                             recognised injury 不按规定赔, a company moving out of
                                             the province with no compensation for those who quit,
                                             a deputy head's 公车 for family fishing (a comma after
                                             the title), a secretary who 扣了 part of the land
                                             compensation, meals invoiced as office supplies, 想把
                                             这个处罚撤了, 低保 cancelled and 要求恢复, 信访那边已经
                                             受理, a 信访复查意见 not accepted (not 意见书, and the
                                             不服 two clauses on)
    not accepted                      6/16   来电无声，多次询问无应答后挂断; a taunt (就会说记录
                                             一下) and 浪费老子时间 beside 一群废物; 我以为是快递公
                                             司; a lonely 没意思 chat; 你今天吃饭了没; calling a
                                             girlfriend to 劝劝她; a school friend looked for;
                                             homework 写了; 哈哈…试试…没事了; a child's misdial
    dispatched                       48/50   door-to-door health-product sellers (有人…敲门, 110);
                                             "我不是上访啊" (a negated 上访, petition)

Its revision: 120/120 (30, 24, 16, 50). Each miss widened the rule of its kind to the plain
wording: 左右乱晃, 晃来晃去 with the weaving words and 现在正往…方向 as now; a seller who
反悔 / 不卖了 and keeps a flat's deposit (not a developer, not a rental 押金); a parent kept from
seeing the child after a divorce (not when mediation is asked: an ordinary probe stays
dispatched); 不按规定赔 after 工伤认定; an employer moving away with no compensation for those
who leave; a 公车 used to carry family, fish or travel (not riding the bus, not official
business), compensation 扣了 by the official himself, meals invoiced and claimed (发票开成,
拿回去报销); 把这个处罚撤了 (not a company's or school's fine); 低保 or 特困 cancelled or stopped
and disputed or 要求恢复 (applying, asking about slow processing, a payment not arrived, or only
the reason, stay dispatched); 信访那边受理, a 复查/复核意见 disputed clauses later. The silent-
call note now admits the operator's repeated asking; taunts at the operators and 浪费老子时间
count as abuse (nothing else named: refused; a matter named: a complaint, as 八百遍 was);
以为是… after 打错了 and a child's pressing; 吃饭了没 and 忙不忙 as chit-chat; loneliness
(没意思, 孤单) when no service is asked; a partner to be called and persuaded; a school friend to
be found; homework to be done; laughter and 没事了 around a test. Door-to-door selling is masked
from the stranger-at-the-door lexicon, and 不是 negates 上访, 告状, 打官司 as 不想 did (不是第一次
上访 is no negation). A petitions office's hall, air conditioning, queues and parking are a place,
not a petition. Of the 10,294 other texts of tests/data and the emergency examples, one changed
outcome (twice, in emergency_wording and the emergency examples, labelled "not emergency"):
"离婚后前夫不让我看孩子，怎么办" is now referred to litigation, a fair reading (set 13 labels the
same dispute so). Of 150 paraphrases and ordinary near misses written for the revision, one
comes out wrong: a silent-call note that opens with the agent's greeting (您好，来电无声…) is
dispatched. Left alone: "你们几点下班" alone is no refusal (an office's hours are a real
question), and a bare mention of 信访局 outside the masked places and facilities still reads as
a petition.

tests/data/heldout_messages_14.jsonl, written in a later session by a writer who saw no rule:
plain texts, transcribed speech with its fillers, agents' notes, internet slang and emoji; on
arrival:

    emergency to the right service   25/30   a fire now after "本来想投诉物业…" (投诉 read the
                                             whole message as calm); a caller knocked down by a
                                             car cutting in (别倒), its driver trying to slip
                                             away (the model read 110); a lift stuck with a
                                             child who 喘不上气 (120); two road accidents with
                                             the injured sent to 120 (the writer: 122)
    referral to the right route      23/24   想去告他们 去仲裁 after a work injury (告他们 read
                                             for litigation)
    not accepted                     14/16   a takeaway ordered on hearsay (听说打这个电话能点
                                             外卖), a developer in Thailand to be chased there
    dispatched                       49/50   劳动仲裁赢了 钱也拿到了 before a question on the
                                             social-insurance transfer (read for arbitration)

Its revision: 118/120 (28, 24, 16, 50). "本来想投诉…结果现在/刚才…" is masked from the calm
words, so a danger reported after the complaint the caller meant to make is read; 被…车别倒 is a
crash (122); a lift stuck with people inside who 喘不上气 / 喘不过气 goes to 119, the rescue they
need (sets 8 and 14 both label it so), where a faint or a pregnant woman's pain in a lift stays
with 120; 告他们 followed by 仲裁 is masked from litigation; a won arbitration already paid is
masked from arbitration; a takeaway ordered because the number "can" order food, and asking the
hotline to go abroad to chase a developer (not when anyone is missing, cheated or held), are
refused. Of the 10,813 other texts of tests/data (the 320 of duplicate_pairs_1 among them) and
the emergency examples, one changed outcome: set 8's lift with a child short of breath, 120 →
119, its own label. Left alone: the two injured in road accidents stay with 120, the rules'
convention (decisions.priority): the earlier single labels for a crash with someone hurt are
split, nine 120 (sets 2, 10 to 13 and the real messages) against nine 122 (sets 3, 8 and 9), and
the emergency examples list both services, so no majority asks to turn the rule round.

tests/data/heldout_messages_15.jsonl, written in a later session by a writer who saw no rule:
service-hall counter notes (窗口登记：…), web-portal forms (标题：… 内容：…) and regional Chinese
(Northeastern, Sichuanese, Cantonese-influenced, Shanghainese); on arrival:

    emergency to the right service   26/30   a collapsed house with someone under it (下头…压着
                                             人, 喊救命 alone read, 110); a car stalled in a
                                             flooded tunnel (淹到车窗了！…门推不开, 救命 alone,
                                             110); a man of 72 with heart disease 困于…电梯内
                                             (dispatched); a taxi that 撞咗 a motorbike, both
                                             still in the road, in Cantonese (dispatched)
    referral to the right route      24/24
    not accepted                     10/16   which hotpot restaurant is good, shares to be
                                             predicted, a foreign impeachment, 闲得慌…唠唠嗑, who
                                             wins the US election (Cantonese), the WeChat of a
                                             woman who took the caller's cat (the model: 110)
    dispatched                       48/50   parking outside a 劳动仲裁院 (arbitration), a toilet
                                             by the 纪委 office building (discipline)

Its revision: 120/120 (30, 24, 16, 50). Someone trapped in a lift (困于…电梯内 now read too) with
a heart condition or asthma goes to 119, as one short of breath does; a heart attack under way
stays with 120, and a plain entrapment stays dispatched (the labels are split: sets 3, 4, 5 and
13 say 119, the real messages and the emergency examples mostly dispatch). Under a collapse,
下头 / 里头 / 里厢 and 压着人 join the wider lexicon (119); water at the car windows, then doors
that will not open after an exclamation mark, is the flooded car (119); 撞咗 is a crash's sign and
啱啱 says it is now (122). 闲得慌 is idleness beside 无聊; which restaurant is good, shares
predicted by the staff, a foreign election's or impeachment's progress and result, and a private
person's WeChat or phone looked up for the caller (not when anyone cheated, owes, stole, hurt or
is missing, nor of a courier, shop, landlord or official) are refused. An arbitration commission's
door and the 纪委's office building join the places masked from every legal route. Of the 11,573
other texts of tests/data and the emergency examples, one changed outcome (twice, in
emergency_wording and the emergency examples): set 12's "老楼塌了半边 底下好像压着人 能听见有人
喊救命", 110 → 119, a service its label lists (119, 120). Left alone: nothing of the set.

tests/data/heldout_messages_16.jsonl, written in a later session by a writer who saw no rule:
delivery riders and drivers, students and young parents in WeChat style, retirees' formal
letters, small business owners and rural residents, in late autumn and winter; on arrival:

    emergency to the right service   28/30   a lift stuck between floors with an old woman and a
                                             child inside for half an hour (电梯困人 is left to
                                             the rules, which knew only breathlessness and heart
                                             disease: dispatched); a child 掉冰窟窿里 (no 进, so
                                             only 110's 冰窟窿 was read)
    referral to the right route      22/24   a work injury not recognised, 想提起行政复议 (被车撞
                                             on the way home read first, 122); an enforcement
                                             officer hinting at 意思意思 (执法人员 not among the
                                             hinted-bribe titles: dispatched)
    not accepted                     11/16   a greeting and 没别的事儿; calling the caller's wife
                                             for him; snow in Hokkaido for skiing; which down
                                             jacket to buy; how to claim US unemployment benefit
    dispatched                       48/50   a judgment carried out, then the documents for the
                                             property-registration centre (法院判决, litigation);
                                             an arbitration 已经裁决了 and paid, then back-paying
                                             social insurance (劳动仲裁, arbitration)

Its revision: 119/120 (30, 24, 16, 49). A child trapped in a lift goes to 119 (set 5's child
crying in a stuck lift, 119, and sets 8 and 14 with a child short of breath; no earlier label
dispatches a trapped child), where only an old person trapped stays dispatched (sets 4 and 13 say
119, the real messages' 老太太 half an hour says dispatch); 冰窟窿, 冰窟 and 冰洞 join the waters of
119's fall-into-water pattern; 想提起 / 申请行政复议 or 劳动仲裁 reads as calm, as 想申请 did, so
a past accident named as the grounds no longer transfers; 执法人员, 执法队员, 检查人员 and 稽查人员
join the hinted-bribe titles; a judgment or mediation the other side 已经履行 / 付清 is masked from
litigation (not a part performance), and 仲裁已经裁决了 / 出结果了 then paid joins the arbitration
won and paid. Refused: greetings with 小同志, 天冷了多穿点衣服, 打个电话问候一下 and 没别的事儿 and
nothing else; 帮我给我媳妇打个电话 and the like (not with any danger, violence or a missing
person named); a foreign place's snow, weather or fitness for skiing or travel (not visas,
borders, flights, tour operators or fraud); 帮我挑挑…买哪款 (not standards, subsidies, quality
or complaints); a foreign country's unemployment or welfare benefit to be claimed. Of the 12,094
other texts of tests/data (matter_wording_12 among them) and the emergency examples, none changed
outcome. The judgment already carried out was then still referred to litigation by the route
model (0.815, its threshold 0.8) where the rules no longer read it; retrained with set 16 among
its examples, the model reads it as ordinary: 120/120.

tests/data/heldout_messages_17.jsonl, by a writer who saw no rule (late autumn in a northern city:
delivery riders, migrant workers, parents, old people alone, shopkeepers, taxi drivers, villagers,
landlords and tenants, people with disabilities), on arrival:

    emergency to the right service   25/30   five traffic accidents with people hurt, labelled 122
                                             (the writer was told "122: an accident with injury");
                                             the rules send the hurt to 120 (the priority note
                                             weighs the earlier labels), left as they are
    referral to the right route      24/24
    not accepted                     12/16   a child's maths problem (你给算算); a year-end report
                                             to write; 穿秋裤还是棉裤; 拿工资不干活 at the staff
    dispatched                       49/50   where the arbitration court is and whether it opens
                                             on Saturday (referred to arbitration)

Its revision: 115/120 (25, 24, 16, 50). Refused: homework the child cannot do, asked to be worked
out or explained, and a textbook shape's perimeter or area; a report, speech, CV or the like to be
written for the caller; which clothes to wear in the cold (not with heating, room temperature,
uniforms or rules named); "you take wages and do nothing" at the staff (the older rule that
refuses abuse with little else left keeps 城管拿工资不干活，垃圾站臭了一夏天 accepted). Where a
court, an arbitration commission, a petitions office, a discipline commission or a
reconsideration office is, and its hours, is masked from every legal route
(想申请劳动仲裁，仲裁院在哪 is still referred). Of the 12,734 texts of tests/data and the
emergency examples, none other changed outcome. The route model, retrained with set 17 among
its 7,130 examples, still reads a bare 信访局在哪 as a petition; no labelled text asks it.
A review then found those refusals and the mask too broad; narrowed the same day, with set 17
still 115/120 (tests/unit/test_set17_edges.py).

tests/data/heldout_messages_18.jsonl, by a fourteenth writer after set 17's revision (early
winter in a damp southern city: night-shift workers, old people dictating to grandchildren,
vendors, bus drivers, Hunan wording, fast typists' abbreviations, long texts with the issue
buried, two things in one message), on arrival:
    emergency to the right service   26/30   a man with dementia not home after dark, children
                                             in a lift between floors (能不能叫消防), a lock
                                             being cut now after a question about refuse, every
                                             signal of a junction dead at rush hour (122)
    referral to the right route      23/24   a letter to take to the city over the county
    not accepted                     11/16   a ceasefire, the weather, a cat's "crime", a stock
                                             tip, an advert for invoices
    dispatched                       49/50   an injured stray cat sent to 120
Its revision: 120/120, with none of the 9,253 labelled texts of the day changing outcome against
its label (one unlabelled text, an agent's note of a rabid dog that had bitten someone, went from
120 to dispatched). Checked on 123 messages written around the changes
(tests/data/review_probes_18.jsonl: 53 that change outcome, 70 near misses that must not).

tests/data/heldout_messages_19.jsonl, by a fifteenth writer, typed the way call-centre agents type
tickets ("来电人反映……诉求……", "来电人称……", third person, calm even about dangers), written
while the rules were revised for 2,904 ordinary appeals written apart from them
(tests/unit/test_review_probes_18_to_20.py) and measured once after that, on arrival:
    emergency to the right service   25/30   a father with Alzheimer's not home for 4 hours, a
                                             wrong-way driver still going, a scrape waiting for
                                             the traffic police (122), a tanker leaking fumes
                                             (119, sent to 122), adults in a lift (119, sent to
                                             110 by 求救 read inside 请求救援)
    referral to the right route      20/24   a planning permit to be published, child support
                                             unpaid for a year, an enforcer demanding "fees",
                                             dismissal in pregnancy with reinstatement asked
    not accepted                      6/16   agents' notes of calls with nothing to act on: a
                                             misdial, abuse and a hang-up, singing, a child
                                             playing, a quiz, homework, flirting, an embassy
    dispatched                       50/50
Its revision (agents' notes that say there is no request, or whose whole content is the
non-appeal, are refused; 无其他诉求 after a real appeal is not): 119/120. The lift is dispatched,
as the rules decide for adults trapped without injury (elevator_entrapment: the maintenance unit
must come at once under the special-equipment rules); held-out labels disagree (sets 3, 4, 13 and
19 say 119, real_messages.csv and matter batch 5 say dispatch). Checked on 134 probes
(tests/data/review_probes_19.jsonl); of the 9,915 labelled texts only set 19's and a tanker's
leak (122 → 119, as its label allows) changed.

tests/data/heldout_messages_20.jsonl, by a sixteenth writer after all of that and the review of
the day's revisions (a spring day through a WeChat mini-program and SMS: speech recognition with
spaces for punctuation, emoji, forwarded chats, people angry at the hotline, shops and small
factories, teenagers, dialect), on arrival:
    emergency to the right service   30/30
    referral to the right route      11/24   legal routes in words without legal terms: dismissed
                                             in pregnancy, "开年回来…明天不用来了 一分钱补偿都没
                                             有 这合理吗", a transfer to another province "不去就
                                             算我自己离职", a signed statement of 320,000 owed,
                                             "想把这个处理结果翻过来", "见市长", 买断工龄, a land
                                             compensation standard, "那份正式文件和会议纪要", a
                                             township paying for officials' banquets
    not accepted                      5/16   moving strange neighbours out, making a developer
                                             raise prices again, booking a car, a loan, the
                                             weather for 清明, a thank-you, a chain message,
                                             "[图片] 见图", a deskmate's homework, an ex's address
    dispatched                       48/50   a gas valve shut yesterday and a fence blown down
                                             yesterday, both sent to 119
Its revision: 120/120, checked on 133 probes (tests/data/review_probes_20.jsonl: 67 that change
outcome, 66 near misses); of the 13,334 labelled texts only set 20's changed.

tests/data/unseen_messages_21.jsonl, by a seventeenth writer after every revision of session 16
(late summer in a coastal city: typhoons, tourists, fishermen, riders, deaf texters, children
typing for their parents), measured once on arrival and then kept out of the route model's
examples and of every revision, so that it measures the product on messages it has not seen:
    emergency to the right service   27/30   a landlord's men with steel pipes kicking the door
                                             now, at the end of a long web form about a deposit
                                             (dispatched); old people in waist-deep water
                                             (110 for 119: 求救援); a passer-by under a wall
                                             blown down (120 for 119)
    referral to the right route      19/24
    not accepted                      5/16   a neighbour's fish soup and a diet, a rating on a
                                             platform, a seafood tip, a cat in the heat, homework
    dispatched                       49/50   a fainted old man already taken away, told before an
                                             appeal for shade, sent to 120
Only its most serious miss was then fixed, as a family: a calm word anywhere (上周) had made the
whole message calm, and "现在" did not count as now; now (现在, 此刻, 这会儿) with kicking or
smashing a door, standing at the door, holding a knife or a steel pipe, or a fight starting, in
the same clause, does (tests/data/present_danger_probes.jsonl, 8 messages: 4 dangers, 4 near
misses such as "去年邻居跟我吵过架，现在他家装修天天砸墙"). No labelled text changed; set 21's
emergencies 27 → 28/30. Nothing else was revised for it.

tests/data/unseen_messages_22.jsonl, by an eighteenth writer at the start of session 17 (a coastal
city in early winter: a cold wave, fog, a typhoon's aftermath, year-end wages, the Spring Festival
coming), measured once on arrival and kept out like set 21:
    emergency to the right service   24/30   a sanitation worker collapsed, cold and unresponsive
                                             (dispatched); an aunt trapped in her car in a flooded
                                             garage (dispatched); sleeping pills found swallowed at
                                             the end of a web form about medical insurance; a man
                                             smashing car windows now, told at the end of a web
                                             form about a market; a man in the sea (119 for 110)
    referral to the right route      15/24   a petition overdue past 60 days, a budget's details
                                             asked of the district, double wages for no contract,
                                             a cadre's road money spent at his own door
    not accepted                      7/16   a chain message, a loan advert, flirting, a train
                                             ticket, a call to a car-repair shop, a daughter-in-law
                                             who spends the new year with her own parents
    dispatched                       50/50
Then the route model learnt from messages written for it (tests/unit/test_route_wording.py):
set 21 101 → 105/120, set 22 96 → 103/120; and the emergency rules were revised on 240 written
dangers (route_wording_5, by a reviser who never opened sets 21 and 22): set 22's emergencies
24 → 26/30 (the sleeping pills at the end of the web form, the collapsed sanitation worker), set
21's refusals 9 → 10 (a drain-clearing advert). Set 21 106/120, set 22 106/120. Nothing was
revised for either set.
"""

from __future__ import annotations

from collections import Counter

import pytest

from routing.triage import TriageRules, triage
from tests.unit.wording_data import jsonl, triage_agrees

FLOORS = {
    3: {"emergency": 27, "referral": 22, "not_accepted": 15, "dispatch": 49},
    4: {"emergency": 27, "referral": 23, "not_accepted": 15, "dispatch": 49},
    5: {"emergency": 30, "referral": 24, "not_accepted": 15, "dispatch": 50},
    6: {"emergency": 29, "referral": 24, "not_accepted": 16, "dispatch": 50},
    7: {"emergency": 30, "referral": 24, "not_accepted": 15, "dispatch": 50},
    8: {"emergency": 28, "referral": 24, "not_accepted": 15, "dispatch": 50},
    9: {"emergency": 28, "referral": 23, "not_accepted": 16, "dispatch": 50},
    10: {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 49},
    11: {"emergency": 29, "referral": 24, "not_accepted": 16, "dispatch": 50},
    12: {"emergency": 30, "referral": 24, "not_accepted": 15, "dispatch": 50},
    13: {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50},
    14: {"emergency": 28, "referral": 24, "not_accepted": 16, "dispatch": 50},
    15: {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50},
    16: {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50},
    17: {"emergency": 25, "referral": 24, "not_accepted": 16, "dispatch": 50},
    18: {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50},
    19: {"emergency": 29, "referral": 24, "not_accepted": 16, "dispatch": 50},
    20: {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50},
}


def rows(number: int = 3) -> tuple[dict[str, str], ...]:
    return jsonl(f"heldout_messages_{number}.jsonl")


def right(row: dict[str, str]) -> bool:
    return triage_agrees(row)


# Sets kept out of every revision and of the route model's examples: what they measure now (on
# arrival in the docstring above).
UNSEEN = {
    21: {"emergency": 28, "referral": 19, "not_accepted": 10, "dispatch": 49},
    22: {"emergency": 26, "referral": 19, "not_accepted": 11, "dispatch": 50},
}


@pytest.mark.parametrize("row", jsonl("present_danger_probes.jsonl"), ids=lambda r: r["text"][:24])
def test_a_danger_now_after_past_context_is_transferred_and_past_quarrels_are_not(
    row: dict[str, str],
) -> None:
    assert triage_agrees(row)


@pytest.mark.parametrize("number", sorted(UNSEEN))
def test_each_unseen_set_holds_what_it_measured_on_arrival(number: int) -> None:
    rows = jsonl(f"unseen_messages_{number}.jsonl")
    counts = Counter(row["outcome"] for row in rows)
    assert counts == {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50}
    got = Counter(row["outcome"] for row in rows if right(row))
    for outcome, floor in UNSEEN[number].items():
        assert got[outcome] >= floor, (outcome, got[outcome])


@pytest.mark.parametrize("number", sorted(FLOORS))
def test_each_set_has_every_outcome_in_its_proportions(number: int) -> None:
    counts = Counter(row["outcome"] for row in rows(number))
    assert counts == {"emergency": 30, "referral": 24, "not_accepted": 16, "dispatch": 50}
    assert len({row["text"] for row in rows(number)}) == 120


@pytest.mark.parametrize("number", sorted(FLOORS))
def test_each_outcome_holds_what_it_measured_after_its_revision(number: int) -> None:
    got = Counter(row["outcome"] for row in rows(number) if right(row))
    for outcome, floor in FLOORS[number].items():
        assert got[outcome] >= floor, (outcome, got[outcome])


@pytest.mark.parametrize(("name", "count"), [("ordinary_probes", 90), ("ordinary_probes_2", 100)])
def test_ordinary_appeals_at_the_edge_of_every_other_outcome_are_dispatched(
    name: str, count: int
) -> None:
    probes = jsonl(f"{name}.jsonl")
    assert len(probes) == count
    rules = TriageRules.load_default()
    assert [r["text"] for r in probes if triage(r["text"], rules).outcome is not None] == []
