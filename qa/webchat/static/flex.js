// Draws LINE message objects (the JSON the bot sent to LINE) as LINE's app shows them:
// text, sticker, Flex bubbles and carousels, buttons/confirm/carousel templates.
// No inline styles or scripts: classes only (a Content-Security-Policy of 'self' holds).
"use strict";

(function () {
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // -- actions ---------------------------------------------------------------------------
  function actionButton(action, cls, onAction) {
    const b = el("button", cls, action.label || "");
    b.type = "button";
    b.dataset.actionType = action.type || "";
    if (action.type === "datetimepicker") b.classList.add("is-picker");
    if (action.type === "uri") b.classList.add("is-link");
    b.addEventListener("click", () => onAction(action));
    return b;
  }

  // -- Flex ------------------------------------------------------------------------------
  const SIZES = ["xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl"];

  function flexComponent(c, onAction) {
    switch (c.type) {
      case "box": {
        const box = el("div", "fx-box fx-" + (c.layout || "vertical"));
        if (c.spacing) box.classList.add("fx-spacing-" + c.spacing);
        if (c.margin) box.classList.add("fx-margin-" + c.margin);
        (c.contents || []).forEach((x) => box.appendChild(flexComponent(x, onAction)));
        if (c.action) box.addEventListener("click", () => onAction(c.action));
        return box;
      }
      case "text": {
        const t = el("div", "fx-text", c.text || "");
        if (c.weight === "bold") t.classList.add("fx-bold");
        if (SIZES.includes(c.size)) t.classList.add("fx-size-" + c.size);
        if (c.wrap) t.classList.add("fx-wrap");
        if (c.align) t.classList.add("fx-align-" + c.align);
        if (c.margin) t.classList.add("fx-margin-" + c.margin);
        if (c.color) t.style.color = c.color; // CSSOM, not an inline style attribute
        return t;
      }
      case "button": {
        const style = c.style || "link";
        const b = actionButton(c.action || {}, "fx-button fx-button-" + style, onAction);
        if (c.height === "sm") b.classList.add("fx-button-sm");
        if (c.color) b.style.backgroundColor = c.color;
        if (c.adjustMode === "shrink-to-fit") shrinkToFit(b);
        return b;
      }
      case "separator":
        return el("hr", "fx-separator");
      case "spacer":
        return el("div", "fx-spacer");
      case "filler":
        return el("div", "fx-filler");
      case "image":
        return el("div", "fx-image", "image");
      case "icon":
        return el("span", "fx-icon", "•");
      default:
        return el("div", "fx-unknown", "[" + c.type + "]");
    }
  }

  function flexBubble(b, onAction) {
    const bubble = el("div", "fx-bubble");
    if (b.size) bubble.classList.add("fx-bubble-" + b.size);
    for (const part of ["header", "hero", "body", "footer"]) {
      if (!b[part]) continue;
      const block = el("div", "fx-block fx-" + part);
      block.appendChild(flexComponent(b[part], onAction));
      bubble.appendChild(block);
    }
    return bubble;
  }

  // LINE's adjustMode "shrink-to-fit": the label's font gets smaller until it fits.
  function shrinkToFit(node) {
    requestAnimationFrame(function fit() {
      if (!node.isConnected) return;
      let size = parseFloat(getComputedStyle(node).fontSize);
      while (node.scrollWidth > node.clientWidth && size > 9) {
        size -= 0.5;
        node.style.fontSize = size + "px";
      }
    });
  }

  function flex(m, onAction) {
    const c = m.contents || {};
    if (c.type === "carousel") {
      const row = el("div", "carousel");
      (c.contents || []).forEach((b) => row.appendChild(flexBubble(b, onAction)));
      return row;
    }
    return flexBubble(c, onAction);
  }

  // -- templates -------------------------------------------------------------------------
  function templateCard(title, text, actions, onAction, cls) {
    const card = el("div", "tp-card " + (cls || ""));
    if (title) card.appendChild(el("div", "tp-title", title));
    if (text) card.appendChild(el("div", "tp-text", text));
    const list = el("div", "tp-actions");
    (actions || []).forEach((a) => list.appendChild(actionButton(a, "tp-action", onAction)));
    card.appendChild(list);
    return card;
  }

  function template(m, onAction) {
    const t = m.template || {};
    if (t.type === "confirm") return templateCard(null, t.text, t.actions, onAction, "tp-confirm");
    if (t.type === "buttons") return templateCard(t.title, t.text, t.actions, onAction, "");
    if (t.type === "carousel" || t.type === "image_carousel") {
      const row = el("div", "carousel");
      (t.columns || []).forEach((c) => {
        const acts = c.actions || (c.action ? [c.action] : []);
        row.appendChild(templateCard(c.title, c.text, acts, onAction, "tp-column"));
      });
      return row;
    }
    return el("div", "bubble bot", m.altText || "[template]");
  }

  // -- one message -----------------------------------------------------------------------
  function message(m, onAction) {
    switch (m.type) {
      case "text":
        return el("div", "bubble bot", m.text);
      case "sticker": {
        const s = el("div", "sticker");
        const img = el("img", "sticker-face");
        img.src = "/webchat/static/sticker.svg";
        img.alt = "sticker";
        s.appendChild(img);
        s.appendChild(el("div", "sticker-id", "sticker " + m.packageId + "/" + m.stickerId));
        return s;
      }
      case "flex":
        return flex(m, onAction);
      case "template":
        return template(m, onAction);
      default:
        return el("div", "bubble bot unknown", "[" + m.type + " message]");
    }
  }

  window.LineRender = { message, actionButton, el };
})();
