#!/usr/bin/env python3
"""Writes notebooks/*.ipynb (no outputs) from the cells below: `python3 notebooks/make-notebooks.py`.
Cells run on the 'unir' kernel (tslab at the repo root). UNIR_PROFILE=ci picks tiny configs."""
import json, os

HERE = os.path.dirname(os.path.abspath(__file__))
META = {"kernelspec": {"name": "unir", "display_name": "TypeScript (unir)", "language": "typescript"},
        "language_info": {"name": "typescript"}}
# The charts' note on "Trust", appended to the first cell of the notebooks that draw charts.
TRUST = ("\n\n*Charts and trust:* Jupyter runs the scripts in a notebook's outputs only when it trusts the notebook "
         "(your own runs are trusted; a notebook executed elsewhere, e.g. by nbconvert, is not). In the classic Notebook "
         "(`npm run notebook`) the `TypeScript (unir)` kernel draws charts either way; if a front end shows "
         "\"Chart not drawn\" instead, trust the notebook: File → Trust Notebook, or `python3 -m nbformat.sign <file>`.")
TINY = "{ 'curriculum.steps.stage1': 4, 'curriculum.steps.stage2': 2, 'curriculum.steps.stage3': 2 }"
SETUP = f"""import {{ byProfile, compareRuns, loadRun, profile, runExperiment, show }} from './src/notebook';
// ci: a few steps of the smoke experiment (seconds); full: the experiment as written.
const tiny = byProfile({{ ci: {TINY}, full: {{}} }});
console.log(`profile: ${{profile()}}`);"""

NOTEBOOKS = {
 "00-quickstart": [
  ("md", "# Quickstart\nBuild the data (emoji-cldr is built on first use), train the smoke experiment — three curriculum stages on a tiny model — and look at its metrics. Re-running a cell reuses the finished run."),
  ("code", SETUP),
  ("code", "const run = await runExperiment('smoke', { set: tiny });\nconsole.log(run.runDir, run.reused ? '(reused)' : '(trained)');"),
  ("md", "Test-split headline numbers: retrieval R@10 per task, intent accuracy and slot F1."),
  ("code", "const { tables } = compareRuns([run.runDir]);\nshow(tables[0]);"),
  ("code", "show(loadRun(run.runDir).history.slice(-3));"),
 ],
 "01-three-stage": [
  ("md", "# The paper's three-stage curriculum\nStage 1 trains text and image towers contrastively, stage 2 the NLU heads and fusion on a frozen text encoder, stage 3 everything jointly. We look at the metrics after each stage and the loss curves. `full` runs `paper-three-stage` (≈ 9 min on 2 cores); `ci` a few smoke steps." + TRUST),
  ("code", SETUP),
  ("code", "const run = await runExperiment(byProfile({ ci: 'smoke', full: 'paper-three-stage' }), { set: tiny });"),
  ("md", "Validation metrics after every stage:"),
  ("code", "const { stageRows } = { stageRows: run.metrics.stages.map((s) => ({ stage: s.name, 't2i R@10': s.metrics.retrieval?.t2i?.mean?.['R@10'], 'intent acc': s.metrics.nlu?.intentAccuracy?.mean, 'slot F1': s.metrics.nlu?.slotF1?.mean })) };\nshow(stageRows);"),
  ("md", "Loss curves, one panel per stage, and the rest of the run report:"),
  ("code", "const report = compareRuns([run.runDir]);\nshow(report.figures.filter((f) => f.id.startsWith('loss')));"),
 ],
 "02-sweep-alpha-a-b": [
  ("md", "# Sweep α, a and b\nα weights text–chunk in stage 1, a the query–chunk term and b the NLU terms in stage 3. Trials run as `unir run` processes; finished ones are skipped, so an interrupted sweep resumes." + TRUST),
  ("code", SETUP.replace("runExperiment, show", "runExperiment, show, sweep")),
  ("code", "const grid = byProfile({\n  ci: { 'curriculum.stages.stage1.weights.alpha': [0.25, 1] },\n  full: { 'curriculum.stages.stage1.weights.alpha': [0.25, 0.5, 1], 'curriculum.stages.stage3.weights.a': [0.25, 0.5, 1], 'curriculum.stages.stage3.weights.b': [0.1, 0.3] },\n});\nconst result = await sweep({ id: `alpha-a-b-${profile()}`, question: 'How do α, a and b trade retrieval against NLU?', base: 'smoke', params: grid, fixed: tiny });"),
  ("md", "Every trial, and the sweep charts (metric against each coefficient):"),
  ("code", "show(result.table);"),
  ("code", "show(result.figures);"),
 ],
 "03-staged-vs-single": [
  ("md", "# Staged vs single-stage\nThe same step budget, once with the three-stage curriculum and once with the stage-3 loss from the first step (`single-stage`)." + TRUST),
  ("code", SETUP),
  ("code", "const staged = await runExperiment('smoke', { set: tiny });\nconst single = await runExperiment('smoke', { set: { ...tiny, 'curriculum.id': 'single-stage' } });"),
  ("md", "Side by side: the comparison table (deltas against the staged run) and the retrieval / NLU charts."),
  ("code", "const cmp = compareRuns([staged.runDir, single.runDir]);\nshow(cmp.tables);"),
  ("code", "show(cmp.figures.filter((f) => !f.id.startsWith('loss')));"),
 ],
 "04-umap-multilingual": [
  ("md", "# A multilingual map\nImages and texts of the test split in every language of the run, projected with UMAP. Translations of one concept should land together. The trustworthiness (k = 10) says how many map neighbours are true neighbours; the alignment score compares translation pairs with random cross-language pairs." + TRUST),
  ("code", SETUP.replace("runExperiment, show", "runExperiment, show, umap")),
  ("code", "const run = await runExperiment(byProfile({ ci: 'smoke', full: 'paper-three-stage' }), { set: tiny });\nconst view = await umap(run.runDir, { split: 'test', dims: 2, colourBy: 'language' });"),
  ("code", "console.log(`${view.points} points; trustworthiness@10 = ${view.trustworthiness.toFixed(4)}; alignment = ${view.alignment.score.toFixed(4)}`);\nshow(view.figure);"),
  ("md", "The same map coloured by modality, and the 3-D map. `unir umap <runDir>` writes all of it, with thumbnails, to one HTML page."),
  ("code", "show((await umap(run.runDir, { colourBy: 'modality' })).figure);\nshow((await umap(run.runDir, { dims: 3 })).figure);"),
 ],
 "05-custom-plugin": [
  ("md", "# Your own plugins\nDefine a loss and a fusion in cells with `defineLoss` / `defineFusion`, register them, select them by overrides, and compare with the built-ins; then a metric and an image augmentation. Re-running a register cell replaces the plugin (with a warning)."),
  ("code", SETUP.replace("runExperiment, show", "runExperiment, show, defineLoss, defineFusion, defineMetric, defineAugmentation, registerPlugin, takeFeatures, stopGradient, Dense, ParamScope, l2Normalize, tf, z")),
  ("md", "A cosine alignment loss, 1 − cos(enhanced, sg(target)), to use instead of `mse-align`:"),
  ("code", "const NEEDS = ['enhanced', 'target'] as const;\nregisterPlugin(defineLoss({\n  id: 'cosine-align', summary: 'One minus the cosine between the NLU-enhanced query and its stop-gradient semantic text', needs: NEEDS, mainTerm: 'cosineAlign',\n  configSchema: z.object({}),\n  create: () => ({ variables: [], dispose() {},\n    compute(f) {\n      const { enhanced, target } = takeFeatures(f, NEEDS, 'cosine-align');\n      return tf.tidy(() => ({ cosineAlign: tf.sub(1, tf.mean(tf.sum(tf.mul(l2Normalize(enhanced as tf.Tensor2D), l2Normalize(stopGradient(target) as tf.Tensor2D)), 1))) as tf.Scalar }));\n    } }),\n}));"),
  ("md", "A fusion that adds the projected NLU vector with a fixed weight (no gate):"),
  ("code", "registerPlugin(defineFusion({\n  id: 'fixed-sum', summary: 'Text embedding plus w times the projected NLU semantic vector, re-normalised',\n  configSchema: z.strictObject({ weight: z.number().default(0.2) }),\n  create(cfg, ctx) {\n    const scope = ParamScope.root(ctx.scope, ctx.seed);\n    const proj = new Dense(scope.child('proj'), ctx.nluHidden, ctx.dim);\n    return { usesNlu: true, variables: () => proj.variables(), flops: ([b = 1]) => proj.flops(b), dispose: () => scope.dispose(),\n      late: (e, nlu) => tf.tidy(() => l2Normalize(tf.add(e, tf.mul(cfg.weight, proj.apply(nlu.semantic))) as tf.Tensor2D)) };\n  },\n}));"),
  ("code", "const builtin = await runExperiment('smoke', { set: tiny });\nconst custom = await runExperiment('smoke', { set: { ...tiny, 'model.fusion': { id: 'fixed-sum' },\n  'curriculum.stages.stage2.terms.align.loss': 'cosine-align', 'curriculum.stages.stage3.terms.align.loss': 'cosine-align' } });"),
  ("code", "show(compareRuns([builtin.runDir, custom.runDir]).tables);"),
  ("md", "Every plugin kind has its `define…` (encoder, tokenizer, curriculum, dataset, metric, baseline, index, observer, augmentation). A metric — the mean cosine between each caption and its concept's images — and an image augmentation — colours inverted with probability p — selected by overrides:"),
  ("code", "registerPlugin(defineMetric({\n  id: 'caption-image-cosine', summary: 'Mean cosine between each caption and the images of its group',\n  primaryKey: 'captionImageCosine.mean', greaterIsBetter: true, configSchema: z.object({}),\n  create: () => ({ evaluate({ embeddings: e }) {\n    if (!e) return {};\n    const D = e.vectors.length / e.ids.length;\n    const images = new Map<string, number[]>();\n    e.kind.forEach((k, i) => { if (k === 'image' && e.group[i]) images.set(e.group[i], [...(images.get(e.group[i]) ?? []), i]); });\n    let sum = 0, n = 0;\n    e.kind.forEach((k, i) => {\n      if (k !== 'text' || e.role?.[i] !== 'caption') return;\n      for (const j of images.get(e.group[i]) ?? []) {\n        let dot = 0;\n        for (let d = 0; d < D; d++) dot += e.vectors[i * D + d] * e.vectors[j * D + d];\n        sum += dot; n++;\n      }\n    });\n    return { captionImageCosine: { mean: n ? sum / n : 0, pairs: n } };\n  } }),\n}));"),
  ("code", "registerPlugin(defineAugmentation({\n  id: 'invert', summary: 'Inverts the colours of an image (1 - x) with probability p',\n  configSchema: z.strictObject({ p: z.number().min(0).max(1).default(0.5) }),\n  create: (cfg) => (batch, rng) => {\n    const px = batch.size * batch.size * 3;\n    for (let i = 0; i < batch.n; i++) if (rng.next() < cfg.p) for (let j = i * px; j < (i + 1) * px; j++) batch.data[j] = 1 - batch.data[j];\n  },\n}));"),
  ("code", "const mine = await runExperiment('smoke', { set: { ...tiny, 'data.augment': [{ id: 'invert', p: 0.5 }],\n  'eval.metrics': [{ id: 'retrieval' }, { id: 'nlu' }, { id: 'caption-image-cosine' }] } });\nconst cos = loadRun(mine.runDir).metrics.final.captionImageCosine as { mean: number; pairs: number };\nconsole.log(`caption–image cosine on test: ${cos.mean.toFixed(3)} over ${cos.pairs} pairs`);"),
 ],
 "06-search": [
  ("md", "# Search in several languages\nEach query goes through the NLU heads (intent, BIO slots), its NLU features are fused into the query embedding, and the run's index of the test split answers it."),
  ("code", SETUP.replace("runExperiment, show", "runExperiment, show, search")),
  ("code", "const run = await runExperiment('smoke', { set: tiny });\nconst queries = ['show me a red heart', 'zeig mir ein lachendes Gesicht', '猫の絵を見せて'];\nconst answers = [];\nfor (const q of queries) answers.push(await search(run.runDir, q, { k: 5, modality: 'image' }));"),
  ("md", "Language, intent and slots per query, and the top images:"),
  ("code", "show(answers.map((a) => ({ query: a.query, lang: a.lang, intent: a.intent, confidence: a.intentConfidence, slots: a.slots.map((s) => `${s.label}=${s.text}`).join(' '), top: a.results.slice(0, 3).map((r) => r.id).join(', ') })));"),
  ("md", "The best image hit over the queries (a query whose intent is not a search, e.g. `play_music`, retrieves nothing):"),
  ("code", "import { readFileSync } from 'node:fs';\nconst hit = answers.flatMap((a) => a.results.map((r) => ({ query: a.query, r }))).find(({ r }) => r.modality === 'image' && r.file.endsWith('.png'));\nif (hit && hit.r.modality === 'image') { console.log(`${hit.query} → ${hit.r.id} (score ${hit.r.score.toFixed(3)})`); show(new Uint8Array(readFileSync(hit.r.file))); }\nelse console.log('no image among the answers');"),
 ],
}

def cell(kind, src):
    lines = src.split("\n")
    source = [l + "\n" for l in lines[:-1]] + [lines[-1]]
    if kind == "md":
        return {"cell_type": "markdown", "metadata": {}, "source": source}
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}

for name, cells in NOTEBOOKS.items():
    nb = {"cells": [cell(k, s) for k, s in cells], "metadata": META, "nbformat": 4, "nbformat_minor": 5}
    for i, c in enumerate(nb["cells"]):
        c["id"] = f"{name[:2]}-{i:02d}"
    path = os.path.join(HERE, f"{name}.ipynb")
    with open(path + ".tmp", "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(path)
