// Runs in the page: a compact outline of what a person sees and can use, each element with the
// template line it came from. Returns {lines: [{depth, kind, text}], templates: [...]}.
() => {
  const LANDMARKS = { header: "header", nav: "nav", main: "main", footer: "footer", aside: "aside", form: "form", section: "section", article: "article", dialog: "dialog" };
  const INTERACTIVE = new Set(["a", "button", "input", "select", "textarea", "summary"]);
  const TEXT = new Set(["p", "li", "td", "th", "label", "dt", "dd", "figcaption", "blockquote", "time"]);
  const MAX_TEXT = 80;
  const lines = [];
  const templates = [];
  const clip = (s) => { s = (s || "").replace(/\s+/g, " ").trim(); return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT - 1) + "…" : s; };
  const visible = (el) => { const r = el.getBoundingClientRect(); const st = getComputedStyle(el); return st.display !== "none" && st.visibility !== "hidden" && (r.width > 0 || r.height > 0 || el.tagName === "INPUT"); };
  // An element from a template outside the project (an installed package's) has no mark of its
  // own: it is reported inside the nearest marked element, the place to start overriding.
  const source = (el) => {
    const own = el.getAttribute("data-qs-src");
    if (own) { const f = own.split(":")[0]; if (!templates.includes(f)) templates.push(f); return own; }
    const outer = el.closest("[data-qs-src]");
    return outer ? "in " + outer.getAttribute("data-qs-src") : "";
  };
  const name = (el) => {
    let n = el.tagName.toLowerCase();
    if (el.id) n += "#" + el.id;
    const classes = [...el.classList].filter((c) => !c.startsWith("is-") || ["is-primary", "is-danger", "is-active"].includes(c)).slice(0, 3);
    if (classes.length) n += "." + classes.join(".");
    return n;
  };
  const labelOf = (el) => {
    if (el.labels && el.labels.length) return clip(el.labels[0].innerText);
    return clip(el.getAttribute("aria-label") || el.getAttribute("placeholder") || el.name || "");
  };
  const walk = (el, depth) => {
    for (const child of el.children) {
      const tag = child.tagName.toLowerCase();
      if (tag === "script" || tag === "style" || tag === "template" || tag === "noscript") continue;
      if (!visible(child)) continue;
      const src = source(child);
      let line = null;
      if (LANDMARKS[tag] || child.getAttribute("role") === "alert" || child.getAttribute("role") === "status") {
        const label = child.getAttribute("aria-label") || child.getAttribute("aria-labelledby") && document.getElementById(child.getAttribute("aria-labelledby"))?.innerText || "";
        line = { kind: "landmark", text: name(child) + (label ? ` "${clip(label)}"` : "") + (tag === "form" ? ` ${(child.method || "get").toUpperCase()} ${child.getAttribute("action") || ""}` : "") };
        if (child.getAttribute("role") === "alert" || child.getAttribute("role") === "status") line.text += ` "${clip(child.innerText)}"`;
      } else if (/^h[1-6]$/.test(tag)) {
        line = { kind: "heading", text: `${tag} "${clip(child.innerText)}"` };
      } else if (INTERACTIVE.has(tag)) {
        if (tag === "a") line = { kind: "link", text: `${name(child)} "${clip(child.innerText || child.getAttribute("aria-label"))}" → ${child.getAttribute("href") || ""}` };
        else if (tag === "button" || tag === "summary") line = { kind: "button", text: `${name(child)} "${clip(child.innerText || child.getAttribute("aria-label"))}"` };
        else line = { kind: "field", text: `${tag}[${child.type || ""}] "${labelOf(child)}"${child.required ? " required" : ""}` };
      } else if (tag === "img" || tag === "svg") {
        line = { kind: "image", text: `${tag} alt="${clip(child.getAttribute("alt") || child.getAttribute("aria-label") || "")}"` };
      } else if (TEXT.has(tag) && child.children.length === 0 && clip(child.innerText)) {
        line = { kind: "text", text: `${tag} "${clip(child.innerText)}"` };
      }
      if (line) {
        line.depth = depth;
        line.src = src;
        lines.push(line);
        if (line.kind === "link" || line.kind === "button" || line.kind === "heading") continue;
        walk(child, depth + 1);
      } else {
        walk(child, depth);
      }
    }
  };
  walk(document.body, 0);
  return { title: document.title, lines, templates };
}
