"""The practitioner page's stylesheet and its three small scripts (kept apart from the layout in page.py)."""

from __future__ import annotations

# Colours come from Gradio's theme variables where one fits, so dark mode stays readable.
CSS = """
.notice { border-left: 6px solid #1d70b8; background: var(--block-background-fill); padding: 10px 14px;
  color: var(--body-text-color); font-size: 0.95rem; }
.notice .corpus { margin-top: 4px; font-size: 0.82rem; opacity: 0.8; }
.conversation { display: flex; flex-direction: column; gap: 14px; }
.conversation.empty p { opacity: 0.75; }
.turn .you { font-weight: 600; margin-bottom: 6px; }
.turn .who { display: inline-block; font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.05em;
  background: var(--neutral-200); color: #0b0c0c; border-radius: 4px; padding: 1px 6px; margin-right: 6px; }
.reply { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; }
.reply.error { border-color: #d4351c; }
.quote-line { margin: 0 0 8px 0; padding: 2px 0 2px 10px; border-left: 3px solid #b1b4b6; }
.lead { margin: 0 0 10px 0; padding: 6px 10px; border-left: 5px solid #1d70b8; background: #f3f2f1; color: #0b0c0c;
  font-size: 1.05rem; }
.lead-label { display: block; font-size: 0.8rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; }
.quote-heading { margin: 10px 0 4px 0; font-weight: 700; }
.list-item { margin-left: 18px; }
.followup { margin: 0 0 8px 0; font-size: 0.9rem; color: #505a5f; }
.urgent { background: #d4351c; color: #fff; padding: 10px 12px; border-radius: 6px; margin-bottom: 10px; }
.urgent strong { color: #fff; }
.privacy { background: #fff7bf; color: #0b0c0c; border-left: 6px solid #ffdd00; padding: 8px 12px; margin: 6px 0; }
.abstain { margin: 0 0 6px 0; }
.chips { margin-top: 6px; font-size: 0.9rem; line-height: 2; }
a.chip { display: inline-block; border: 1px solid #1d70b8; color: #1d70b8; border-radius: 999px;
  padding: 0 9px; margin: 0 2px; font-size: 0.85rem; line-height: 1.6; text-decoration: none; cursor: pointer;
  max-width: 100%; }
a.chip:hover, a.chip:focus { background: #1d70b8; color: #fff; }
.duty { display: inline-block; border-radius: 4px; padding: 0 6px; margin: 0 3px; font-size: 0.75rem;
  font-weight: 600; line-height: 1.5; white-space: nowrap; color: #fff; }
.duty-must { background: #942514; }
.duty-should { background: #594d00; }
.duty-may { background: #005a30; }
mark.quote { background: #fff2a8; color: #0b0c0c; padding: 0 1px; }
mark.term { background: #bfe3ff; color: #0b0c0c; }
.sources h3, .read h2, .read h3 { margin: 10px 0 6px 0; }
.sources .legend { font-size: 0.85rem; opacity: 0.9; }
.source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; margin-bottom: 10px; }
.source header .label { font-weight: 600; }
.source header .where, .read .heading { font-size: 0.85rem; opacity: 0.8; }
.read .passage { padding: 6px 10px; border-left: 3px solid transparent; margin-bottom: 4px; scroll-margin-top: 80px; }
.read .passage.opened { border-left-color: #1d70b8; background: rgba(29, 112, 184, 0.08); }
.read .passage a.ref { font-weight: 700; color: #1d70b8; text-decoration: none; }
.read .see { font-size: 0.8rem; }
#read-status { font-size: 0.9rem; }
"""

# Chips carry data-ref; a click updates the address bar (so the deep link can be copied)
# and tells the server which passage to open.
CHIP_JS = """
element.addEventListener('click', (event) => {
  const chip = event.target.closest('[data-ref]');
  if (!chip || !element.contains(chip)) return;
  event.preventDefault();
  const ref = chip.getAttribute('data-ref');
  const url = new URL(window.location.href);
  url.searchParams.set('ref', ref);
  window.history.replaceState(null, '', url);
  trigger('click', {ref: ref});
});
"""

# The hidden feed receives only the turn that changed; this applies it to the conversation the browser holds
# (append it, replace the last turn, or clear for a new conversation) and brings it into view.
FEED_JS = """
let applied = null;
const apply = () => {
  const update = element.querySelector('.turn-update');
  const log = document.querySelector('#conversation .conversation');
  if (!update || !log || update.dataset.seq === applied) return;
  applied = update.dataset.seq;
  const mode = update.dataset.mode;
  if (mode === 'clear') {
    log.replaceWith(update.firstElementChild.cloneNode(true));
    return;
  }
  if (log.classList.contains('empty')) {
    log.classList.remove('empty');
    log.replaceChildren();
  }
  const turn = update.querySelector('.turn').cloneNode(true);
  const turns = log.querySelectorAll(':scope > .turn');
  if (mode === 'replace' && turns.length) { turns[turns.length - 1].replaceWith(turn); }
  else { log.appendChild(turn); }
  turn.scrollIntoView({block: 'start'});
};
new MutationObserver(apply).observe(element, {childList: true, subtree: true, attributes: true, characterData: true});
apply();
"""

# The Read tab renders lazily, so wait (briefly) for the opened passage to exist before scrolling.
SCROLL_JS = """
() => {
  let tries = 0;
  const go = () => {
    const el = document.querySelector('#read-view .passage.opened');
    if (el && el.offsetParent !== null) { el.scrollIntoView({block: 'start'}); }
    else if (tries++ < 60) { setTimeout(go, 50); }
  };
  go();
}
"""

def download_js(mime: str, filename: str) -> str:
    """A click handler that makes its input text into a downloaded file in the browser: nothing is written
    on the server."""
    return f"""
(text) => {{
  if (!text) return;
  const blob = new Blob([text], {{type: '{mime};charset=utf-8'}});
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = '{filename}';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}}
"""


DOWNLOAD_JS = download_js("text/markdown", "isd-guidance-record.md")
