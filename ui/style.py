"""Page styles, passed to gr.mount_gradio_app(css=...). A module so it ships with the package.

Colours are chosen for a contrast of at least 4.5:1 against their backgrounds (the browser test
computes it from the page's styles). The page scrolls as a whole: the conversation is never a
scroll box of its own; the question box (one row: question, scope, 提问) sticks to the bottom of
the screen and the slim tab bar to the top. At 820 px and below the conversation list becomes a
drawer and the source panel and the 目录's article bottom sheets, one at a time over a backdrop.
"""

CSS = """
/* 党建文件问答 — page styles */
/* one light palette: ui/head.py pins Gradio's theme to light, this keeps native controls light */
:root { color-scheme: light; }
:root, .gradio-container {
  --dj-red: #b3261e; --dj-red-dark: #7f1d1d; --dj-ink: #1f1f1f; --dj-muted: #5c5650;
  --dj-line: #e6ddd3; --dj-paper: #fffdf9; --dj-mark: #ffe58a; --dj-bg: #faf7f2;
  --button-primary-background-fill: #b3261e; --button-primary-background-fill-hover: #9b1c16;
  --button-primary-text-color: #ffffff; --button-primary-border-color: #9b1c16;
  --body-text-color-subdued: #57534e; --block-info-text-color: #57534e; --block-label-text-color: #44403c;
  --input-placeholder-color: #6b6560; --color-accent: #b3261e; --color-accent-soft: #fdecea;
  --link-text-color: #9b1c16; --link-text-color-hover: #7f1d1d; --link-text-color-visited: #7f1d1d;
}
.gradio-container { max-width: 1440px !important; margin: 0 auto !important; padding: 0 !important;
                    overflow: visible !important; }  /* hidden would break every position: sticky */
.gradio-container main { padding-top: 0 !important; padding-bottom: 0 !important; }
.gradio-container > .main > .wrap, .gradio-container main.contain, #dj-tabs { width: 100% !important; }
.gradio-container .main.app { padding: 0 8px !important; }
footer { display: none !important; }
::placeholder, textarea::placeholder, input::placeholder { color: #6b6560 !important; opacity: 1 !important; }
.dj-sr { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
         white-space: nowrap; }
#dj-download, #dj-flow { display: none !important; }
.dj-turn.dj-pending { display: block; margin-left: 0; padding: 0; border: 0; border-radius: 0;
  background: none; font-size: inherit; color: inherit; }
.dj-conn { margin: 2px 0; padding: 6px 12px; border-radius: 6px; font-size: 14px; background: #fff4e5;
  color: #7a3e00; border: 1px solid #f0c48a; }
button[role="tab"] { color: #44403c !important; font-size: 15px !important; }
/* a slim tab bar that stays at the top while the page scrolls */
#dj-tabs > .tab-wrapper { position: sticky; top: 0; z-index: 30;
  background: var(--body-background-fill, #fff); padding-bottom: 0 !important; }
#dj-tabs > .tab-wrapper button[role="tab"] { padding-top: 4px !important; padding-bottom: 4px !important; }
#dj-backdrop { display: none; position: fixed; inset: 0; z-index: 45; background: rgba(0, 0, 0, .4); }
#dj-backdrop.dj-on { display: block; }
button[role="tab"][aria-selected="true"] { color: #9b1c16 !important; font-weight: 700 !important; }
button:focus-visible, a:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible,
[tabindex]:focus-visible { outline: 3px solid #1d4ed8 !important; outline-offset: 2px; }
.dj-narrow { display: none; }

/* header */
.dj-header { display: flex; align-items: center; gap: 12px; padding: 8px 2px 6px;
  border-bottom: 3px solid var(--dj-red); }
.dj-logo { width: 38px; height: 38px; border-radius: 8px; background: var(--dj-red); color: #ffe58a;
  flex: none;
           font-size: 22px; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.dj-head-text { flex: 1; min-width: 0; }
h1.dj-title { font-size: 20px; font-weight: 700; color: var(--dj-red-dark); letter-spacing: 1px; margin: 0;
  line-height: 1.3; }
.dj-sub { font-size: 13px; color: var(--dj-muted); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.dj-sub span { margin-left: 6px; }
.dj-user { font-size: 13px; color: var(--dj-muted); }
.dj-drawer-btn { display: none !important; }

/* small buttons */
.dj-act { display: inline-flex; align-items: center; gap: 4px; border: 1px solid #d6cfc7; background: #fff;
          color: #3f3a36; border-radius: 6px; padding: 2px 10px; font-size: 13px; line-height: 24px;
            cursor: pointer; }
.dj-act:hover { border-color: var(--dj-red); color: var(--dj-red-dark); }
.dj-act.dj-primary { background: var(--dj-red); border-color: var(--dj-red); color: #fff; }
.dj-act.dj-on { background: #fdecea; border-color: var(--dj-red); color: var(--dj-red-dark);
  font-weight: 600; }
.dj-act[disabled] { opacity: .55; cursor: default; }
.dj-mini { border: 1px solid transparent; background: none; color: #57534e; font-size: 12px; padding: 0 4px;
           border-radius: 4px; cursor: pointer; }
.dj-mini:hover { border-color: #d6cfc7; color: var(--dj-red-dark); }
.dj-danger { color: #9b1c16; }
.dj-link { border: none; background: none; padding: 0; color: #9b1c16; text-decoration: underline;
  cursor: pointer;
           font: inherit; }
.dj-ico { vertical-align: -3px; flex: none; }
.dj-ico-down { transform: rotate(180deg); }
.dj-muted { color: var(--dj-muted); }

/* layout: sidebar | conversation | source panel; the page scrolls, the question box sticks */
#dj-chat-row { align-items: flex-start !important; gap: 14px; flex-wrap: nowrap; }
#dj-sidebar { position: sticky; top: 36px; align-self: flex-start; max-height: 100vh; overflow-y: auto;
              flex: 0 0 200px !important; min-width: 0 !important; padding-top: 8px; }
#dj-main { min-width: 0; gap: 0 !important; }
#dj-side { position: sticky; top: 36px; align-self: flex-start; padding-top: 8px; }
#dj-transcript { min-height: 0; }
#dj-composer { position: sticky; bottom: 0; z-index: 20; background: var(--body-background-fill, #fff);
               padding: 6px 0 8px; gap: 4px !important; border-top: 1px solid var(--dj-line);
               box-shadow: 0 -6px 12px -8px rgba(0,0,0,.18); }
#dj-input-row { align-items: stretch; gap: 6px; flex-wrap: nowrap !important; }
#dj-question { flex: 1 1 auto !important; min-width: 0 !important; }
#dj-drawer-open, #dj-scope-ui { width: auto !important; flex: none !important; min-width: 0 !important; }
#dj-drawer-open, #dj-scope-ui { padding: 0 !important; border: none !important; background: none !important;
  align-self: center; }
#dj-send { min-width: 64px !important; flex: none !important; }
#dj-drawer-open { display: none !important; }
#dj-status:not(:has(.dj-status)) { display: none !important; }  /* no empty line under the box */
#dj-scope-ui { position: relative; flex: 0 1 auto; display: flex; align-items: stretch; max-width: 14em; }
#dj-scope-ui > *, #dj-scope-ui .dj-scope { display: flex; align-items: stretch; min-width: 0; }
#dj-scope-ui .dj-scope-btn { line-height: 1.3; }
.dj-scope { position: relative; }
.dj-scope-btn { max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.dj-scope-pop { position: absolute; bottom: calc(100% + 6px); right: 0; z-index: 40; width: min(420px, 92vw);
                background: #fff; border: 1px solid #cfc6bc; border-radius: 8px; padding: 8px 12px;
                box-shadow: 0 8px 24px rgba(0,0,0,.2); font-size: 14px; color: var(--dj-ink); }
.dj-scope-pop fieldset { border: none; margin: 0; padding: 0; }
.dj-scope-pop legend { font-weight: 600; margin-bottom: 4px; }
.dj-scope-opt { display: block; line-height: 1.7; cursor: pointer; }
.dj-scope-btns { display: flex; gap: 6px; justify-content: flex-end; margin-top: 6px; }
#dj-mode-row { align-items: center; gap: 10px; flex-wrap: nowrap; }
#dj-mode-row > * { flex-grow: 0; }
#dj-mode-hint { flex: 1 1 auto; min-width: 0; }
.dj-mode-hint { font-size: 12px; color: var(--dj-muted); line-height: 1.5; }
#dj-mode input[type="radio"]:checked { background-color: var(--checkbox-background-color-selected) !important;
  background-image: var(--radio-circle) !important;
    border-color: var(--checkbox-border-color-selected) !important; }

/* conversation list */
.dj-convs { font-size: 14px; }
.dj-convs-h { display: flex; align-items: center; justify-content: space-between; gap: 6px; }
h2.dj-convs-title { font-size: 15px; margin: 0; color: var(--dj-ink); }
.dj-convs-where, .dj-convs-empty { font-size: 12px; color: var(--dj-muted); margin: 4px 0; }
.dj-convs-list { list-style: none; margin: 4px 0 0; padding: 0; }
.dj-conv { border-radius: 6px; padding: 2px 2px 2px 0; margin: 2px 0; }
.dj-conv.dj-current { background: #fdecea; }
.dj-conv-open { display: block; width: 100%; text-align: left; border: none; background: none;
  cursor: pointer;
                padding: 4px 6px; border-radius: 6px; color: var(--dj-ink); font: inherit; }
.dj-conv-open:hover { background: #f5efe8; }
.dj-conv-title, .dj-rename { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.dj-rename { width: 100%; font: inherit; padding: 2px 4px; border: 1px solid var(--dj-red);
  border-radius: 4px; }
.dj-conv-meta { display: block; font-size: 12px; color: var(--dj-muted); }
.dj-conv-tools { display: flex; gap: 2px; padding-left: 4px; }

/* transcript */
.dj-chat { display: flex; flex-direction: column; gap: 16px; padding: 10px 2px 14px; color: var(--dj-ink);
           font-size: 15px; line-height: 1.8; overflow-wrap: anywhere; }
.dj-turn { scroll-margin-top: 8px; }
.dj-welcome { background: var(--dj-paper); border: 1px dashed #d9c7b5; border-radius: 10px;
  padding: 10px 16px; }
.dj-welcome-h { font-weight: 700; font-size: 17px; color: var(--dj-red-dark); }
.dj-welcome p { margin: 4px 0; }
.dj-q { display: flex; justify-content: flex-end; }
.dj-bubble { background: var(--dj-red); color: #fff; padding: 6px 14px; border-radius: 14px 14px 3px 14px;
             max-width: 82%; white-space: pre-wrap; word-break: break-word; }
.dj-a { background: #fff; color: var(--dj-ink); border: 1px solid var(--dj-line);
  border-left: 4px solid var(--dj-red);
        border-radius: 8px; padding: 10px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.dj-a.dj-abstain { border-left-color: #b07800; background: #fffaf0; }
.dj-abstain-h { display: inline-block; font-size: 13px; font-weight: 700; color: #6b4500; background: #fde9b6;
                border-radius: 4px; padding: 0 8px; margin-bottom: 6px; }
.dj-text p { margin: 2px 0; }
.dj-text > p.dj-p:first-child { font-weight: 600; }
.dj-text .dj-head { font-weight: 700; color: var(--dj-red-dark); margin-top: 8px; }
.dj-text .dj-head:first-child { margin-top: 0; }
.dj-text ol, .dj-text ul { margin: 2px 0 6px 1.6em; padding: 0; }
.dj-text li { margin: 3px 0; }
.dj-direct { font-weight: 600; background: #fdf3f2; border-radius: 6px; padding: 4px 10px; margin: 0 0 8px; }
.dj-direct p + p { font-weight: 400; }
.dj-ev { margin: 6px 0; }
.dj-text ul.dj-sub { list-style: none; margin: 2px 0 2px 1.2em; }
.dj-text li.dj-gap { color: var(--dj-muted); }
.dj-related .dj-head { font-weight: 400; color: var(--dj-muted); }
.dj-note-p { color: #6b4500; font-size: 14px; }
button.dj-cite { border: none; background: none; padding: 0; font: inherit; color: #9b1c16; cursor: pointer;
                 border-bottom: 1px dashed #9b1c16; line-height: inherit; text-align: left; }
button.dj-cite:hover, button.dj-cite.dj-active { background: #fdecea; }
.dj-note { font-size: 13px; line-height: 1.6; color: #6b4500; background: #fff6e0; border: 1px solid #f3dca4;
           border-radius: 6px; padding: 3px 10px; margin: 0 0 8px; }
.dj-note .dj-link { color: #7a2e00; font-weight: 600; }
.dj-a.dj-gen { border-left-color: #2f6db3; }
.dj-ai-h { display: inline-block; font-size: 12px; font-weight: 700; color: #1f4f86; background: #e3eefb;
           border: 1px solid #c3d7f0; border-radius: 4px; padding: 0 8px; margin-bottom: 6px;
             letter-spacing: 1px; }
.dj-gen .dj-text > p.dj-p:first-child { font-weight: 400; }
.dj-flag { color: #9a3c00; cursor: help; margin-right: 2px; }
.dj-typing { font-size: 13px; color: var(--dj-muted); margin-top: 4px; }
.dj-typing::after { content: "▍"; margin-left: 2px; animation: dj-blink 1s steps(1) infinite; color: #2f6db3;
  }
@keyframes dj-blink { 50% { opacity: 0; } }
.dj-sugg { margin-top: 8px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; font-size: 14px; }
.dj-sugg-h { color: var(--dj-muted); font-size: 13px; font-weight: 600; }
.dj-chip { border: 1px solid #e2b9b5; background: #fff5f4; color: var(--dj-red-dark); border-radius: 16px;
           padding: 1px 12px; cursor: pointer; font-size: 14px; line-height: 24px; }
.dj-chip:hover { background: #fde3e0; }
.dj-chip.dj-on { background: var(--dj-red); border-color: var(--dj-red); color: #fff; }
.dj-sources { margin-top: 8px; padding-top: 6px; border-top: 1px dashed #e3d6ca; font-size: 14px; }
.dj-sources-h { font-weight: 700; color: var(--dj-muted); font-size: 13px; letter-spacing: 2px; }
.dj-sources ol { margin: 2px 0 0 1.4em; padding: 0; }
.dj-sources li { margin: 2px 0; }
button.dj-src { border: none; background: none; padding: 0; font: inherit; text-align: left;
  color: var(--dj-red-dark);
                cursor: pointer; }
button.dj-src:hover, button.dj-src.dj-active { text-decoration: underline; }
.dj-src-meta { color: var(--dj-muted); font-size: 12px; margin-left: 8px; }
.dj-meta { display: flex; align-items: center; flex-wrap: wrap; gap: 6px; margin-top: 8px; font-size: 12px;
           color: var(--dj-muted); }
.dj-spacer { flex: 1; }
.dj-time { color: var(--dj-muted); order: 10; flex-basis: 100%; }
.dj-vote { display: inline-flex; align-items: center; gap: 3px; border: 1px solid #d6cfc7; background: #fff;
           color: #3f3a36; border-radius: 12px; padding: 0 9px; cursor: pointer; font-size: 13px;
             line-height: 24px; }
.dj-vote:hover { border-color: var(--dj-red); color: var(--dj-red-dark); }
.dj-vote.on { border-color: var(--dj-red); background: var(--dj-red); color: #fff; }
.dj-thanks { color: #2f6b2f; }
.dj-reason { margin-top: 8px; padding: 8px 10px; border: 1px solid #f3dca4; background: #fffaf0;
  border-radius: 6px;
             font-size: 13px; }
.dj-reason label { display: block; color: var(--dj-ink); font-weight: 600; }
.dj-reason textarea { width: 100%; box-sizing: border-box; font: inherit; margin: 4px 0; padding: 4px 6px;
                      border: 1px solid #cfc6bc; border-radius: 4px; background: #fff; color: var(--dj-ink); }
.dj-reason-btns { display: flex; gap: 6px; }
.dj-convbar { display: flex; align-items: center; flex-wrap: wrap; gap: 6px; font-size: 13px;
  color: var(--dj-muted);
              border-top: 1px solid var(--dj-line); padding-top: 8px; }
.dj-status { margin: 2px 0; padding: 6px 12px; border-radius: 6px; font-size: 14px; }
.dj-status-error { background: #fdecea; color: #8c1d18; border: 1px solid #f5c2bd; }
.dj-status-info { background: #eef6ee; color: #1f4d1f; border: 1px solid #c7e0c7; }

/* source panel, item view */
.dj-panel { position: relative; background: var(--dj-paper); color: var(--dj-ink);
  border: 1px solid var(--dj-line);
            border-top: 4px solid var(--dj-red); border-radius: 8px; padding: 12px 16px; font-size: 15px;
            line-height: 1.85; }
#dj-side .dj-panel { max-height: calc(100vh - 60px); overflow-y: auto; }
.dj-panel-empty { color: var(--dj-muted); border-top-color: #d9c7b5; }
.dj-panel-title { font-size: 12px; color: var(--dj-muted); letter-spacing: 1px; padding-right: 28px; }
.dj-crumbs { font-size: 13px; color: var(--dj-muted); margin: 4px 0; }
.dj-sep { margin: 0 6px; color: #8a8078; }
.dj-unit-h { margin: 6px 0 8px !important; font-size: 18px !important; color: var(--dj-red-dark) !important; }
.dj-fulltext { white-space: pre-wrap; text-align: justify; font-family: "Noto Serif CJK SC", "Songti SC",
  serif; }
.dj-fulltext mark, .dj-snip mark { background: var(--dj-mark); color: inherit; padding: 1px 0;
  border-radius: 2px; }
.dj-panel-note { margin-top: 8px; font-size: 12px; color: var(--dj-muted); }
.dj-tools { display: flex; gap: 6px; flex-wrap: wrap; margin-top: 10px; }
.dj-sec-list { margin: 4px 0 0 1.2em; }
.dj-sheet-close { display: none; position: absolute; top: 4px; right: 8px; border: none; background: none;
                  font-size: 24px; line-height: 1; color: #3f3a36; cursor: pointer; padding: 4px 8px; }

/* 目录 */
.dj-tree { font-size: 14px; line-height: 1.65; color: var(--dj-ink); padding: 4px 2px; }
.dj-tree-doc h2 { font-size: 16px; margin: 0; color: var(--dj-red-dark); }
.dj-tree-doc small, .dj-tree-count { display: block; font-weight: 400; font-size: 12px;
  color: var(--dj-muted); }
.dj-tree-hint { font-size: 13px; color: var(--dj-muted); margin: 4px 0; }
button.dj-tree-sec, div.dj-tree-sec { display: block; width: 100%; text-align: left; margin-top: 10px;
  font: inherit;
  font-weight: 700; color: var(--dj-ink); background: none; border: none;
    border-left: 3px solid var(--dj-red);
  padding: 0 0 0 8px; cursor: pointer; }
.dj-tree-units { list-style: none; margin: 2px 0 0 0; padding: 0 0 0 10px; }
button.dj-tree-item { display: block; width: 100%; text-align: left; font: inherit; color: var(--dj-ink);
  background: none;
                      border: none; padding: 2px 6px; border-radius: 4px; cursor: pointer; }
button.dj-tree-item:hover, button.dj-tree-item.dj-active, button.dj-tree-sec.dj-active { background: #fdecea;
  color: var(--dj-red-dark); }
.dj-snip { display: block; font-size: 12px; color: #3f3a36; }
.dj-no { display: inline-block; min-width: 22px; height: 20px; line-height: 20px; margin-right: 6px;
  text-align: center;
         border-radius: 10px; background: #f3e6e4; color: var(--dj-red-dark); font-size: 12px; }

/* 入门 */
.dj-ob { color: var(--dj-ink); font-size: 15px; line-height: 1.8; }
.dj-ob-top { display: flex; align-items: center; gap: 14px; flex-wrap: wrap; margin: 6px 0; }
h2.dj-ob-title { font-size: 18px; margin: 0; color: var(--dj-red-dark); }
.dj-ob-views { display: flex; gap: 6px; flex-wrap: wrap; }
.dj-obtab { border: 1px solid #d6cfc7; background: #fff; color: #3f3a36; border-radius: 16px; padding: 0 14px;
            line-height: 28px; cursor: pointer; font-size: 14px; }
.dj-obtab.dj-on { background: var(--dj-red); border-color: var(--dj-red); color: #fff; }
.dj-ob-main { display: grid; grid-template-columns: minmax(0, 1fr); gap: 16px; }
.dj-ob-main.dj-with-panel { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); }
.dj-ob-panel { position: sticky; top: 8px; align-self: start; }
.dj-ob-h { font-size: 17px !important; margin: 8px 0 4px !important; color: var(--dj-ink) !important; }
.dj-badge { display: inline-block; font-size: 12px; background: var(--dj-red); color: #fff;
  border-radius: 4px;
            padding: 0 6px; margin-right: 8px; vertical-align: 2px; }
.dj-ob-sec, .dj-ob-sum, .dj-ob-docs, .dj-why, .dj-quiz-src { color: var(--dj-muted); font-size: 13px; }
.dj-ob-lines, .dj-duties, .dj-quiz-list { margin: 6px 0 6px 1.4em; padding: 0; }
.dj-ob-lines li, .dj-duty, .dj-quiz-q { margin: 6px 0; }
.dj-marker { color: #9b1c16; }
.dj-ob-nav2, .dj-ob-tools, .dj-ob-roles { display: flex; gap: 8px; flex-wrap: wrap; align-items: center;
  margin: 8px 0; }
.dj-ob-progress { font-size: 13px; color: var(--dj-muted); display: flex; align-items: center; gap: 10px; }
.dj-ob-progress progress { width: 160px; accent-color: var(--dj-red); }
.dj-ob-jump ol { columns: 3 180px; font-size: 13px; }
.dj-ob-group { margin: 10px 0 2px; color: var(--dj-red-dark); font-size: 15px; }
.dj-freq { display: inline-block; font-size: 12px; font-weight: 700; background: #fde9b6; color: #6b4500;
           border-radius: 4px; padding: 0 6px; margin-right: 6px; }
.dj-term { border-bottom: 1px solid var(--dj-line); padding: 4px 0; }
.dj-term summary { cursor: pointer; }
.dj-term small { color: var(--dj-muted); margin-left: 6px; }
.dj-quiz-prompt { font-weight: 600; }
.dj-opts { display: flex; flex-direction: column; gap: 2px; }
.dj-opt { cursor: pointer; display: flex; align-items: center; gap: 6px; }
.dj-opt input[type="radio"] { appearance: auto !important; -webkit-appearance: radio !important; width: 16px;
  height: 16px; margin: 0; border-radius: 50% !important; accent-color: var(--dj-red); }
.dj-fill { font: inherit; padding: 2px 8px; border: 1px solid #bdb3a8; border-radius: 4px; width: 16em;
  max-width: 100%; }
.dj-verdict { font-weight: 700; margin-top: 2px; }
.dj-verdict.dj-ok { color: #1f5f1f; }
.dj-verdict.dj-bad { color: #9b1c16; }
.dj-explain { font-size: 14px; background: var(--dj-paper); border-left: 3px solid #d9c7b5; padding: 2px 8px;
  }
.dj-score { scroll-margin-top: 12px; font-size: 20px; font-weight: 700; color: var(--dj-red-dark);
  margin: 6px 0; }

/* 文件 */
table.dj-docs { width: 100%; border-collapse: collapse; font-size: 14px; color: var(--dj-ink); }
table.dj-docs caption { text-align: left; font-weight: 700; margin-bottom: 6px; }
table.dj-docs th, table.dj-docs td { border-bottom: 1px solid var(--dj-line); padding: 4px 6px;
  text-align: left;
                                    vertical-align: top; }
table.dj-docs thead th { color: #44403c; font-size: 13px; }
.dj-doc-title { display: block; font-weight: 600; }
table.dj-docs small { display: block; font-weight: 400; }
.dj-pending { display: inline-block; margin-left: 6px; padding: 0 6px; border-radius: 4px; font-size: 12px;
  background: #fff4e5; color: #7a3e00; border: 1px solid #f0c48a; }
.dj-src-cell { font-size: 12px; max-width: 22em; }
.dj-src-more summary { cursor: pointer; }
.dj-src-more div { margin-top: 2px; color: var(--dj-muted); overflow-wrap: anywhere; }
table.dj-docs .dj-nowrap { white-space: nowrap; }
.dj-job { font-size: 14px; color: var(--dj-ink); }
.dj-job progress { width: 100%; accent-color: var(--dj-red); }
.dj-report { margin: 4px 0 0 1.2em; padding: 0; }
.dj-rep-error { color: #8c1d18; }

/* toasts */
#dj-toasts { position: fixed; top: 12px; right: 12px; z-index: 1000; display: flex; flex-direction: column;
  gap: 6px; }
.dj-toast { background: #1f1f1f; color: #fff; border-radius: 6px; padding: 6px 12px; font-size: 14px;
            box-shadow: 0 4px 12px rgba(0,0,0,.2); max-width: 320px; }
.dj-toast b { margin-right: 8px; }
.dj-toast-error { background: #8c1d18; }

/* phones and narrow windows */
@media (max-width: 820px) {
  .dj-wide { display: none; }
  .dj-narrow { display: inline; }
  .dj-sub { display: none; }
  h1.dj-title { font-size: 18px; }
  .dj-drawer-btn { display: inline-flex !important; }
  #dj-chat-row { flex-direction: column; flex-wrap: nowrap; gap: 0; }
  #dj-sidebar { display: none; }
  #dj-sidebar.dj-open { display: block; position: fixed; top: 0; left: 0; bottom: 0; width: 84vw !important;
    max-width: 340px; max-height: none; z-index: 60; background: #fff; padding: 12px;
      box-shadow: 4px 0 16px rgba(0,0,0,.25); }
  #dj-main { width: 100%; }
  #dj-side, #dj-item-col { position: fixed !important; left: 0; right: 0; bottom: 0; top: auto; z-index: 50;
    padding: 0 !important;
             width: 100% !important; max-width: none !important; transform: translateY(105%);
               visibility: hidden;
             transition: transform .2s ease, visibility .2s; }
  #dj-side.dj-open, #dj-item-col.dj-open { transform: none; visibility: visible; }
  #dj-side .dj-panel, #dj-item-col { max-height: 72vh; border-radius: 14px 14px 0 0;
    box-shadow: 0 -8px 24px rgba(0,0,0,.25); }
  #dj-item-col { background: var(--dj-paper); gap: 0 !important; flex-direction: column !important;
    flex-wrap: nowrap !important; }
  #dj-item-col > #dj-item { padding: 0 !important; }
  #dj-item-col .dj-panel { max-height: calc(72vh - 64px); overflow-y: auto; border: none; box-shadow: none; }
  #dj-ask-item { margin: 6px 12px 10px; width: auto; display: block; white-space: nowrap; overflow: hidden;
    text-overflow: ellipsis; }
  #dj-drawer-open { display: flex !important; flex: none; }
  .dj-drawer-mini { font-size: 18px; padding: 0 10px; }
  #dj-scope-ui .dj-scope-btn { max-width: 6.5em; padding: 2px 6px; }
  #dj-send { min-width: 56px !important; }
  .dj-sheet-close { display: block; }
  .dj-ob-main.dj-with-panel { grid-template-columns: minmax(0, 1fr); }
  .dj-ob-panel { position: static; }
  .dj-src-meta { display: block; margin-left: 0; }
  table.dj-docs thead { display: none; }
  table.dj-docs tr { display: block; border-bottom: 1px solid var(--dj-line); padding: 4px 0; }
  table.dj-docs th, table.dj-docs td { display: inline-block; border: none; padding: 0 6px 0 0; }
}
"""
