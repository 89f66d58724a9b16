// Browser code, not Node: scripts/jupyter-kernels.mjs copies this file as kernel.js into unir's kernel spec
// folders, next to plotly.min.js. The classic Jupyter Notebook (6.x) loads a spec's kernel.js (an AMD module)
// when a notebook starts that kernel and calls its onload(). It makes the Notebook draw plotly figures from their
// application/vnd.plotly.v1+json data, the way JupyterLab and VS Code do, with the plotly.js next to this file:
//  - new outputs (first run, re-runs after a page reload or a kernel restart) draw without any output carrying
//    plotly.js, online or offline;
//  - outputs already on the page that did not draw (an untrusted notebook, e.g. executed by nbconvert: Jupyter
//    strips the scripts of its HTML outputs) are drawn again from their JSON.
// window.__unirPlotly is the loader that the HTML fallback of src/notebook/show.ts builds too (same fields).
define(['module', 'notebook/js/outputarea'], function (module, outputarea) {
  'use strict';
  var MIME = 'application/vnd.plotly.v1+json';
  var LIB = String(module.uri).replace(/kernel\.js(\?.*)?$/, 'plotly.min.js');

  function loader() {
    var P = window.__unirPlotly;
    if (!P) {
      P = window.__unirPlotly = {
        q: [], todo: [], seen: {},
        when: function (cb) { if (window.Plotly) cb(window.Plotly); else P.q.push(cb); },
        ready: function () {
          P.busy = 0;
          var q = P.q;
          P.q = [];
          q.forEach(function (cb) { try { cb(window.Plotly); } catch (e) { console.error(e); } });
        },
        add: function (key, start) { if (P.seen[key]) return; P.seen[key] = 1; P.todo.push(start); P.next(); },
        next: function () {
          if (window.Plotly || P.busy || !P.todo.length) return;
          P.busy = 1;
          P.todo.shift()(P.ready, function () { P.busy = 0; P.next(); });
        },
        script: function (url) {
          return function (ok, fail) {
            var s = document.createElement('script');
            s.src = url;
            s.onload = function () { if (window.Plotly) ok(); else fail(); };
            s.onerror = fail;
            document.head.appendChild(s);
          };
        },
      };
    }
    P.add(LIB, P.script(LIB));
    return P;
  }

  /** Draws `fig` into a new div appended to `node` once plotly.js is there and the div is on the page. */
  function draw(node, fig) {
    var div = document.createElement('div');
    var height = (fig.layout && Number(fig.layout.height)) || 360;
    div.className = 'unir-plotly';
    div.style.minHeight = height + 'px';
    div.setAttribute('data-unir', 'wait');
    node.appendChild(div);
    loader().when(function (Plotly) {
      // The output area inserts its element into the page after the renderer returns.
      var tries = 0;
      (function plot() {
        if (!document.body.contains(div)) { if (tries++ < 200) setTimeout(plot, 50); return; }
        Plotly.newPlot(div, fig.data || [], fig.layout || {}, Object.assign({ responsive: true, displaylogo: false }, fig.config || {}))
          .then(function () { div.setAttribute('data-unir', 'drawn'); });
      })();
    });
    return div;
  }

  /** The OutputArea renderer for the plotly MIME type (`this` is the OutputArea). */
  function append(fig, md, element) {
    var sub = this.create_output_subarea(md, 'output_html rendered_html unir-plotly-output', MIME);
    draw(sub[0], fig);
    element.append(sub);
    return sub;
  }

  /** Outputs rendered before this module loaded whose HTML fallback cannot draw (no scripts ran): draw them from JSON. */
  function redrawStatic() {
    var nb = window.Jupyter && window.Jupyter.notebook;
    if (!nb) return;
    nb.get_cells().forEach(function (cell) {
      var oa = cell.output_area;
      if (!oa || !oa.outputs) return;
      var areas = oa.element.children('.output_area');
      oa.outputs.forEach(function (out, i) {
        if (!out.data || !out.data[MIME]) return;
        var area = areas.eq(i);
        if (!area.length || area.find('[data-unir]').length) return; // drawn, or its own script is drawing it
        var sub = area.find('.output_subarea').first();
        if (!sub.length) return;
        sub.empty();
        draw(sub[0], out.data[MIME]);
      });
    });
  }

  return {
    onload: function () {
      var OutputArea = outputarea.OutputArea;
      if (!OutputArea.append_map[MIME]) OutputArea.prototype.register_mime_type(MIME, append, { safe: true, index: 0 });
      redrawStatic();
    },
  };
});
