"""How a trained answerability checkpoint (scripts/train_answerability.py) separates squad-dev's questions.

For every squad-dev question (and tests/eval/off-topic's), the engine's own plan and evidence pick up to five
passage windows (the best evidence units first, then the best retrieved chunks); the checkpoint scores each and the
highest counts. Prints AUC answerable vs unanswerable / off-topic and the share refused at the threshold that
refuses 15% of answerable questions. Torch only; a diagnostic, not part of the engine.

    .venv/bin/python scripts/check_answerability.py scripts/checkpoints/answerability-2-epochs.npz /tmp/lib-sq
(the library must already hold squad-dev's three PDFs)
"""
import json, sys
import numpy as np, torch
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / 'scripts', ROOT / 'tests' / 'eval'):
    sys.path.insert(0, str(p))
import train_answerability as ta
from transformers import AutoTokenizer
from engine import Engine
from engine.paths import packaged_embedder_dir
from evidence_eval import Selector
from engine.answer.ask import select_evidence
from engine.retrieval.stats import query_terms

net = ta.AnswerabilityNet.from_base(rank=16, layers=(0, 1, 2, 3, 4, 5))
ta.load_weights(net, sys.argv[1])
net.eval()
tok = AutoTokenizer.from_pretrained(str(packaged_embedder_dir()))

def window(text, s, e, size=1000):
    if len(text) <= size: return text
    mid = (s + e) // 2 if e > s else 0
    lo = max(0, min(mid - size // 2, len(text) - size)); return text[lo:lo + size]

qs = [json.loads(l) for l in open(ROOT.parent / 'shared' / 'eval' / 'sets' / 'squad-dev' / 'questions.jsonl')]
off = [x.strip() for x in open(ROOT / 'tests' / 'eval' / 'off-topic' / 'questions.txt') if x.strip()]
rows = []
with Engine.open(sys.argv[2]) as eng:
    sel = Selector(eng)
    for group, q in [('ans' if x['answerable'] else 'una', x['question']) for x in qs] + [('off', o) for o in off]:
        plan = sel.planner.plan(q, None, sel.ctx.settings.budget, search_query=q)
        score_of = {r.chunk_id: r.score for r in plan.ranked}
        passages = plan.passages
        units = select_evidence(sel.ctx, q, passages, score_of, query_terms(sel.ctx.db, q))
        ranked = sorted(passages, key=lambda c: -score_of.get(c.id, 0.0))
        cands = [(u.chunk, u.start, u.end) for u in units[:3] + sorted(units, key=lambda u: -u.score)[:2]] + [(c, 0, 0) for c in ranked[:2]]
        seen, texts = set(), []
        for c, s, e in cands:
            if c.id in seen: continue
            seen.add(c.id); texts.append(window(c.text, s, e))
            if len(texts) >= 5: break
        enc = tok([q] * len(texts), texts, truncation='only_second', max_length=256, padding=True, return_tensors='pt')
        with torch.no_grad():
            logit, st, en = net.forward(enc)
            margin = ta.span_margin(st, en, enc)
        rows.append((group, float(logit.max()), float(margin.max())))

def auc(pos, neg):
    return np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])
for k, name in ((1, 'head'), (2, 'span')):
    g = {x: [r[k] for r in rows if r[0] == x] for x in ('ans', 'una', 'off')}
    cut = np.quantile(g['ans'], 0.15)
    print(name, 'AUC ans/una', round(auc(g['ans'], g['una']), 3), 'ans/off', round(auc(g['ans'], g['off']), 3),
          f"at 15% of answerable refused: unanswerable {np.mean(np.array(g['una']) < cut):.2f}, off-topic {np.mean(np.array(g['off']) < cut):.2f}")
