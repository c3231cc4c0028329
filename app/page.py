"""What runs in the browser: photo shrinking before upload, thumbnails, reviewer shortcuts; and the CSS.

A phone photo (3-4 MB, 12 MP) is redrawn at most `MAX_SIDE` px on its longest side as a JPEG
before it is sent; `createImageBitmap(..., {imageOrientation: "from-image"})` applies the EXIF
orientation, so the server receives an upright, EXIF-free photo of a few hundred KB. A file the
browser cannot decode (HEIC in most browsers) is sent unchanged; the server's own limits still apply.
"""

from __future__ import annotations

MAX_SIDE = 1280
JPEG_QUALITY = 0.85

PAGE_JS = """
() => {
  if (window.cvPage) return;
  if (!document.documentElement.dir) document.documentElement.dir = 'ltr';
  const cfg = window.cvPage = {enabled: true, maxSide: %(max_side)d, quality: %(quality)s, stats: []};
  async function shrink(file) {
    const t0 = performance.now();
    if (!file.type.startsWith('image/') || file.type === 'image/gif') return file;
    let bmp;
    try { bmp = await createImageBitmap(file, {imageOrientation: 'from-image'}); } catch (e) { return file; }
    const scale = Math.min(1, cfg.maxSide / Math.max(bmp.width, bmp.height));
    const w = Math.round(bmp.width * scale), h = Math.round(bmp.height * scale);
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    canvas.getContext('2d').drawImage(bmp, 0, 0, w, h);
    bmp.close();
    const blob = await new Promise(r => canvas.toBlob(r, 'image/jpeg', cfg.quality));
    const out = (blob && blob.size < file.size)
      ? new File([blob], file.name.replace(/\\.[^.]*$/, '') + '.jpg', {type: 'image/jpeg', lastModified: file.lastModified})
      : file;
    cfg.stats.push({name: file.name, before: file.size, after: out.size, width: w, height: h, ms: performance.now() - t0});
    return out;
  }
  function thumbs(files) {
    const box = document.querySelector('#cv-thumbs');
    if (!box) return;
    box.replaceChildren(...files.map(f => {
      const img = document.createElement('img');
      img.className = 'cv-chosen'; img.alt = ''; img.src = URL.createObjectURL(f);
      return img;
    }));
  }
  async function deliver(input, files) {
    thumbs(files);
    const ready = cfg.enabled ? await Promise.all(files.map(shrink)) : files;
    const dt = new DataTransfer();
    ready.forEach(f => dt.items.add(f));
    input.files = dt.files;
    input.dataset.cvShrunk = '1';
    input.dispatchEvent(new Event('change', {bubbles: true}));
  }
  document.addEventListener('change', ev => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement) || input.type !== 'file' || !input.closest('#photos')) return;
    if (input.dataset.cvShrunk === '1') { delete input.dataset.cvShrunk; return; }
    ev.stopImmediatePropagation();
    deliver(input, Array.from(input.files || []));
  }, true);
  document.addEventListener('drop', ev => {
    const zone = ev.target instanceof Element && ev.target.closest('#photos');
    const input = zone && zone.querySelector('input[type=file]');
    if (!input || !ev.dataTransfer || !ev.dataTransfer.files.length) return;
    ev.preventDefault(); ev.stopImmediatePropagation();
    deliver(input, Array.from(ev.dataTransfer.files));
  }, true);
  const keys = {c: 'do_confirm', k: 'do_correct', r: 'do_reject', n: 'do_next'};
  document.addEventListener('keydown', ev => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !keys[ev.key.toLowerCase()]) return;
    const el = ev.target;
    if (el && (['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName) || el.isContentEditable)) return;
    const desk = document.getElementById('desk'), btn = document.getElementById(keys[ev.key.toLowerCase()]);
    if (!desk || !desk.offsetParent || !btn) return;
    ev.preventDefault(); btn.click();
  });
}
""" % {"max_side": MAX_SIDE, "quality": JPEG_QUALITY}

#: Sets the page's language and direction when the language changes (runs before the server call).
SET_DIR_JS = ("(...args) => { const lang = args[0]; document.documentElement.dir = (lang === 'ar') ? 'rtl' : 'ltr'; "
              "document.documentElement.lang = lang; return args; }")

#: The browser's own language, when it is one of ours (else French), chosen at page load.
BROWSER_LANG_JS = ("() => { const l = (navigator.language || 'fr').slice(0, 2); "
                   "return ['fr', 'ar', 'en'].includes(l) ? l : 'fr'; }")

CSS = """
.cv-card {border: 1px solid #ddd; border-radius: 8px; padding: 10px; margin: 6px 0;}
.cv-fused {border-color: #2b7a4b; border-width: 2px;}
.cv-bar {background: #2b7a4b; height: 10px; border-radius: 4px; display: inline-block;}
.cv-warn {color: #8a4b00;}
.cv-note {font-size: 0.9em; color: #555;}
.cv-photo {display: flex; gap: 10px; align-items: flex-start; border: 1px solid #ddd; border-radius: 8px; padding: 8px; margin: 6px 0;}
.cv-photo.cv-disagree {border-color: #c77700; background: #fff8ec;}
.cv-thumb {width: 72px; height: 72px; object-fit: cover; border-radius: 6px; flex: none; background: #eee;}
.cv-photo-text {min-width: 0; flex: 1;}
.cv-name {overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 0.85em; color: #555;}
.cv-photo p {margin: 2px 0;}
#cv-thumbs {display: flex; flex-wrap: wrap; gap: 6px;}
#cv-thumbs img.cv-chosen {width: 64px; height: 64px; object-fit: cover; border-radius: 6px;}
#photos table.file-preview {table-layout: fixed; width: 100%;}
#photos td.filename {overflow: hidden; white-space: nowrap;}
#photos td.filename .stem {display: inline-block; max-width: calc(100% - 3em); overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; vertical-align: bottom;}
#photos td.download {width: 6.5em; white-space: nowrap;}
#photos td:last-child {width: 2em;}
[dir=rtl] .cv-card, [dir=rtl] .cv-photo {text-align: right;}
/* Gradio marks each block dir="ltr"; in Arabic the whole page reads right to left, data excepted. */
html[dir=rtl] [dir=ltr]:not(.cv-data), html[dir=rtl] .gradio-container {direction: rtl; text-align: right;}
html[dir=rtl] #photos td.filename, html[dir=rtl] #photos td.download {direction: ltr; text-align: right;}
"""
