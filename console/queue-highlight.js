// Where a post's text is highlighted: the spans of the rule reasons
// (reasons[].span {start, end}, JavaScript string indices: UTF-16 code
// units into the original text) cut the text into segments, each covered by
// none, one or several reasons, so overlapping and nested spans give plain
// runs of text and <mark> runs naming every reason that covers them instead
// of nested or crossing elements. A span outside the text is clipped, an
// empty one ignored, and a boundary inside a surrogate pair moves outwards so
// no character (an emoji, a rare kanji) is split.

/** Whether index `i` of `text` falls between the two halves of a surrogate pair. */
function insidePair(text, i) {
  if (i <= 0 || i >= text.length) return false;
  const before = text.charCodeAt(i - 1);
  const after = text.charCodeAt(i);
  return before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
}

/** The spans of `reasons` as `[start, end)` ranges inside `text`, each with the index of its reason. */
export function spansOf(text, reasons) {
  const spans = [];
  (reasons ?? []).forEach((reason, index) => {
    const span = reason && reason.span;
    if (!span || !Number.isInteger(span.start) || !Number.isInteger(span.end)) return;
    let start = Math.max(0, Math.min(span.start, text.length));
    let end = Math.max(0, Math.min(span.end, text.length));
    if (insidePair(text, start)) start -= 1;
    if (insidePair(text, end)) end += 1;
    if (start < end) spans.push({ start, end, reason: index });
  });
  return spans;
}

/**
 * The text cut at every span boundary: `[{ text, start, end, reasons }]` in
 * order, `reasons` the indices of the reasons covering the segment (empty:
 * plain text). Joining the segments' texts gives `text` back.
 */
export function segmentsOf(text, reasons) {
  const spans = spansOf(text, reasons);
  const cuts = new Set([0, text.length]);
  for (const { start, end } of spans) {
    cuts.add(start);
    cuts.add(end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments = [];
  for (let i = 0; i < points.length - 1; i += 1) {
    const start = points[i];
    const end = points[i + 1];
    if (start === end) continue;
    const covering = spans.filter((s) => s.start <= start && s.end >= end).map((s) => s.reason);
    const unique = [...new Set(covering)];
    const last = segments[segments.length - 1];
    // Neighbours covered by the same reasons are one run.
    if (last && last.reasons.join() === unique.join()) {
      last.end = end;
      last.text = text.slice(last.start, end);
    } else segments.push({ text: text.slice(start, end), start, end, reasons: unique });
  }
  return segments;
}
