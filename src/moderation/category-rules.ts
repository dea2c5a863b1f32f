// Words and phrases that name a category on their own: paid-dating slang
// (パパ活, ホ別, 円光, 割り切り), investment and side-job pitches, paying
// outside the app (直接振込), insults and threats, follower selling, minors
// declaring their age. A hit keeps the post from being auto-approved and names
// its category; whether it is rejected is left to the model's score and the
// policy (severity review). Run on normalised text (katakana folded to
// hiragana, lower case, NFKC), like the contact rules; a refusal after the
// phrase ("アプリを通さない取引はできません") is not a hit.
import type { Category } from './categories.js';
import { isRefusal } from './contact-rules.js';
import { originalSpan, type NormalisedText } from './normalise.js';

export type CategoryRuleCode = `${Exclude<Category, 'contact'>}.term`;

export interface CategoryRuleHit {
  code: CategoryRuleCode;
  category: Exclude<Category, 'contact'>;
  rule: string;
  severity: 'review';
  start: number;
  end: number;
  match: string;
}

const TERMS: Record<Exclude<Category, 'contact'>, RegExp> = {
  solicitation:
    /ぱぱ活|p活|まま活|ぱ活|ほ別|ほべつ|ごむ有|ご有り?(?![a-zぁ-ん])|円光|えんこう|えんこー|援交|援助交際|割り切り|割りきり|わりきり|お手当|おてあて|大人の関係|おとなの関係|ぱぱ(?:募集|探し|になって)|定期(?:希望|募集|の方|ぱぱ|で会)|苺(?: ?で| ?希望| ?以上|[0-9])|さぽ(?:希望|して|お願い|募集)|sugar ?daddy|sugar ?baby/g,
  scam: /(?:必ず|絶対|確実に)(?:儲か|稼げ)|元本保証|高配当|配当金|利回り[0-9]|投資(?:案件|で稼|で儲|で月|しませんか|してみませんか|始めませんか|を教え|の先生)|副業(?:で月|で稼|しませんか|紹介|募集)|月[0-9]{2,3}万(?:円)?(?:稼|以上稼|の収入)|(?:びっとこいん|仮想通貨|暗号資産|fx|ばいなりー|usdt)(?:で稼|で儲|投資|始め|の案件|教え)|(?:あまぞん|あっぷる|itunes)?ぎふと(?:券|かーど)(?:で|を)(?:送|買|払)|あかうんと(?:が|は)?(?:凍結|停止)(?:され|しま)|本人確認(?:は|を)?こちら|当選(?:しました|おめでとう)|investment plan|guaranteed (?:profit|return)|crypto (?:trading|investment)/g,
  offplatform_payment:
    /直接(?:振込|振り込|ふりこ|取引|とりひき|購入|買い取|支払|払い|お支払)|手数料(?:が)?(?:かからない|取られない|浮く|なし)(?:ように|で|から)|(?:あぷり|めるかり|ここ)(?:を)?(?:通さ|とおさ)(?:ず|ない)|(?:銀行|口座)振込で(?:お願い|直接)|きゃんせるして(?:直接|外で)|outside the app|off the app|pay (?:me )?directly/g,
  abuse:
    /死ね|しねよ|氏ね|殺す|ころす|殺したろ|ぶす(?:が|は|だな|すぎ|やん)|ぶさいく|きもい|きめえ|きもすぎ|うざい|うぜえ|うぜぇ|消えろ|きえろ|くず(?:が|野郎|やろう)|ごみ(?:が|野郎|やろう|人間)|ばか(?:じゃね|野郎|やろう)|晒す(?:ぞ|から)|さらす(?:ぞ|から)|(?:家|住所)(?:を)?特定|特定した(?:から|ぞ)|fuck|bitch|kill you/g,
  spam: /ふぉろば|相互ふぉろー|ふぉろー(?:してくれたら|で)|稼げる情報|ぷろふ(?:の)?りんく(?:から|を)|詳しくはぷろふ|無料登録|限定[0-9]+名|follow back|free followers/g,
  minor:
    /(?:jk|jc|女子高生|女子中学生|中学生|高校生|高[1-3]|中[1-3]|1[3-7]歳)(?:です|だよ|だけど|だから|なんだけど|の方|希望|募集|でも(?:いい|大丈夫|会え)|と会|に会|と付き|ok|おk)|未成年(?:でも|ok|可|大丈夫|だけど)|まだ1[3-7](?:歳)?(?:だけど|です|で)|制服で(?:会|でーと|来)|(?:i'?m|im) 1[3-7]\b|underage/g,
};

/** Hits of the category terms in a text already normalised with `{ offsets: true }`. */
export function categoryRulesIn(normalised: NormalisedText): CategoryRuleHit[] {
  const text = normalised.text;
  const hits: CategoryRuleHit[] = [];
  for (const [category, pattern] of Object.entries(TERMS) as [Exclude<Category, 'contact'>, RegExp][]) {
    for (const m of text.matchAll(pattern)) {
      if (isRefusal(text, m.index + m[0].length, true)) continue;
      const span = originalSpan(normalised, m.index, m.index + m[0].length);
      hits.push({ code: `${category}.term`, category, rule: `${category}.term`, severity: 'review', start: span.start, end: span.end, match: normalised.original.slice(span.start, span.end) });
    }
  }
  return hits;
}
