"""Page styles, passed to gr.mount_gradio_app(css=...). A module so it ships with the package."""

CSS = """
/* 党建文件问答 — page styles (passed to gr.mount_gradio_app(css=...)). */
.gradio-container { max-width: 1320px !important; margin: 0 auto !important; }
:root { --dj-red: #b3261e; --dj-red-dark: #7f1d1d; --dj-ink: #1f1f1f; --dj-muted: #6b6b6b;
        --dj-line: #e8e1d9; --dj-paper: #fffdf9; --dj-mark: #ffe58a; }

/* header */
.dj-header { display: flex; align-items: center; gap: 14px; padding: 10px 4px 6px;
             border-bottom: 3px solid var(--dj-red); margin-bottom: 4px; }
.dj-logo { width: 42px; height: 42px; border-radius: 8px; background: var(--dj-red); color: #ffd84d;
           font-size: 24px; font-weight: 700; display: flex; align-items: center; justify-content: center; }
.dj-title { font-size: 22px; font-weight: 700; color: var(--dj-red-dark); letter-spacing: 1px; }
.dj-sub { font-size: 13px; color: var(--dj-muted); }
.dj-sub span { margin-left: 6px; }

/* transcript */
#dj-transcript { background: #faf7f2; border: 1px solid var(--dj-line); border-radius: 10px; min-height: 420px; }
.dj-chat { display: flex; flex-direction: column; gap: 18px; padding: 14px; color: var(--dj-ink);
           font-size: 15px; line-height: 1.8; }
.dj-welcome { background: var(--dj-paper); border: 1px dashed #d9c7b5; border-radius: 10px; padding: 14px 18px;
              color: var(--dj-ink); }
.dj-welcome-h { font-weight: 700; font-size: 17px; color: var(--dj-red-dark); margin-bottom: 4px; }
.dj-welcome p { margin: 4px 0; }
.dj-q { display: flex; justify-content: flex-end; }
.dj-bubble { background: var(--dj-red); color: #fff; padding: 8px 14px; border-radius: 14px 14px 3px 14px;
             max-width: 82%; white-space: pre-wrap; word-break: break-word; }
.dj-a { background: #fff; color: var(--dj-ink); border: 1px solid var(--dj-line); border-left: 4px solid var(--dj-red);
        border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.dj-a.dj-abstain { border-left-color: #c98a00; background: #fffaf0; }
.dj-abstain-h { display: inline-block; font-size: 13px; font-weight: 700; color: #8a5a00; background: #fde9b6;
                border-radius: 4px; padding: 0 8px; margin-bottom: 6px; }
.dj-text p { margin: 2px 0; }
.dj-text > p.dj-p:first-child { font-weight: 600; }
.dj-text .dj-head { font-weight: 700; color: var(--dj-red-dark); margin-top: 8px; }
.dj-text .dj-head:first-child { margin-top: 0; }
.dj-text ol, .dj-text ul { margin: 2px 0 6px 1.6em; padding: 0; }
.dj-text li { margin: 3px 0; }
a.dj-cite { color: var(--dj-red); text-decoration: none; border-bottom: 1px dashed var(--dj-red);
            cursor: pointer; white-space: nowrap; }
a.dj-cite:hover, a.dj-cite.dj-active { background: #fdecea; }
.dj-note { font-size: 13px; line-height: 1.6; color: #7a4f00; background: #fff6e0; border: 1px solid #f3dca4;
           border-radius: 6px; padding: 3px 10px; margin: 0 0 8px; }
.dj-note::before { content: "ⓘ "; }

/* AI-generated answers (optional LLM mode) */
.dj-a.dj-gen { border-left-color: #2f6db3; }
.dj-ai-h { display: inline-block; font-size: 12px; font-weight: 700; color: #1f4f86; background: #e3eefb;
           border: 1px solid #c3d7f0; border-radius: 4px; padding: 0 8px; margin-bottom: 6px; letter-spacing: 1px; }
.dj-gen .dj-text > p.dj-p:first-child { font-weight: 400; }
.dj-flag { color: #b45309; cursor: help; margin-right: 2px; }
.dj-typing { font-size: 13px; color: var(--dj-muted); margin-top: 4px; }
.dj-typing::after { content: "▍"; margin-left: 2px; animation: dj-blink 1s steps(1) infinite; color: #2f6db3; }
@keyframes dj-blink { 50% { opacity: 0; } }
#dj-mode-row { align-items: center; gap: 10px; flex-wrap: nowrap; }
#dj-mode-row > * { flex-grow: 0; }
#dj-mode-hint { flex: 1 1 auto; min-width: 0; }
.dj-mode-hint { font-size: 12px; color: var(--dj-muted); line-height: 1.5; }
/* keep the chosen mode visibly checked while its answer streams (Gradio restyles pending inputs) */
#dj-mode input[type="radio"]:checked { background-color: var(--checkbox-background-color-selected) !important;
  background-image: var(--radio-circle) !important; border-color: var(--checkbox-border-color-selected) !important; }
.dj-sugg { margin-top: 10px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px; font-size: 14px; }
.dj-chip { border: 1px solid #e2b9b5; background: #fff5f4; color: var(--dj-red-dark); border-radius: 16px;
           padding: 2px 12px; cursor: pointer; font-size: 14px; }
.dj-chip:hover { background: #fde3e0; }
.dj-sources { margin-top: 10px; padding-top: 8px; border-top: 1px dashed #e3d6ca; font-size: 14px; }
.dj-sources-h { font-weight: 700; color: var(--dj-muted); font-size: 13px; letter-spacing: 2px; }
.dj-sources ol { margin: 2px 0 0 1.4em; padding: 0; }
.dj-sources li { margin: 2px 0; }
a.dj-src { color: var(--dj-red-dark); text-decoration: none; cursor: pointer; }
a.dj-src:hover, a.dj-src.dj-active { text-decoration: underline; }
.dj-src-meta { color: var(--dj-muted); font-size: 12px; margin-left: 8px; }
.dj-meta { display: flex; align-items: center; gap: 6px; margin-top: 8px; font-size: 12px; color: #a0a0a0; }
.dj-spacer { flex: 1; }
.dj-vote { border: 1px solid #e3e3e3; background: #fff; border-radius: 12px; padding: 0 8px; cursor: pointer;
           font-size: 13px; line-height: 22px; filter: grayscale(60%); }
.dj-vote:hover, .dj-vote.on { filter: none; border-color: var(--dj-red); background: #fff1ef; }
.dj-thanks { color: #5b8a5b; }

/* input + status + examples */
#dj-input-row { align-items: stretch; }
.dj-status { margin: 2px 0; padding: 6px 12px; border-radius: 6px; font-size: 14px; }
.dj-status-error { background: #fdecea; color: #8c1d18; border: 1px solid #f5c2bd; }
.dj-examples { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 2px 0; }
.dj-ex-label { font-size: 13px; color: var(--dj-muted); font-weight: 600; }
#dj-clear { max-width: 110px; margin-left: auto; }

/* side panel and item view */
#dj-side { position: sticky; top: 8px; align-self: flex-start; }
.dj-panel { background: var(--dj-paper); color: var(--dj-ink); border: 1px solid var(--dj-line);
            border-top: 4px solid var(--dj-red); border-radius: 8px; padding: 14px 18px; font-size: 15px;
            line-height: 1.9; max-height: 78vh; overflow-y: auto; }
.dj-panel-empty { color: var(--dj-muted); border-top-color: #d9c7b5; }
.dj-panel-title { font-size: 12px; color: var(--dj-muted); letter-spacing: 1px; }
.dj-crumbs { font-size: 13px; color: var(--dj-muted); margin: 4px 0; }
.dj-sep { margin: 0 6px; color: #c0b3a6; }
.dj-unit-h { margin: 6px 0 8px !important; font-size: 18px !important; color: var(--dj-red-dark) !important; }
.dj-fulltext { white-space: pre-wrap; text-align: justify; font-family: "Noto Serif CJK SC", "Songti SC", serif; }
.dj-fulltext mark { background: var(--dj-mark); color: inherit; padding: 1px 0; border-radius: 2px; }
.dj-panel-note { margin-top: 10px; font-size: 12px; color: var(--dj-muted); }
.dj-sec-list { margin: 4px 0 0 1.2em; }

/* catalog tree */
.dj-tree { font-size: 14px; line-height: 1.7; color: var(--dj-ink); padding: 6px 4px; }
.dj-tree-doc { font-weight: 700; color: var(--dj-red-dark); font-size: 16px; margin-bottom: 6px; }
.dj-tree-doc small { display: block; font-weight: 400; font-size: 12px; color: var(--dj-muted); }
.dj-tree-sec { display: block; margin-top: 10px; font-weight: 700; color: var(--dj-ink); text-decoration: none;
               cursor: pointer; border-left: 3px solid var(--dj-red); padding-left: 8px; }
.dj-tree-units { list-style: none; margin: 2px 0 0 0; padding: 0 0 0 12px; }
a.dj-tree-item { display: block; color: var(--dj-ink); text-decoration: none; padding: 2px 6px; border-radius: 4px;
                 cursor: pointer; }
a.dj-tree-item:hover, a.dj-tree-item.dj-active, a.dj-tree-sec.dj-active { background: #fdecea; color: var(--dj-red-dark); }
.dj-no { display: inline-block; min-width: 22px; height: 20px; line-height: 20px; margin-right: 6px; text-align: center;
         border-radius: 10px; background: #f3e6e4; color: var(--dj-red-dark); font-size: 12px; }
"""
