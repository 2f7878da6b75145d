// How an order reads on both pages: its lines with catalog names, and its status.
import { money, statusName, t } from "./i18n.js";
import { localized } from "./page.js";

export function lineText(catalog, lang, line) {
  const menu = catalog?.menus.find((candidate) => candidate.code === line.menu_code);
  const style = menu?.styles.find((candidate) => candidate.code === line.style_code);
  const names = [
    menu ? localized(menu, "name", lang) : line.menu_code,
    style ? localized(style, "name", lang) : line.style_code,
  ].filter(Boolean);
  return `${names.join(" · ")} × ${line.quantity}`;
}

// The draft of a conversation (order_state of an analyze answer); picture: its cake's path.
export function renderDraft(element, catalog, lang, draft, picture) {
  if (!draft?.menu_code) {
    element.textContent = t(lang, "kiosk.nothing");
    return;
  }
  const rows = [lineText(catalog, lang, draft)];
  for (const [code, amount] of Object.entries(draft.customizations ?? {})) {
    rows.push(`${ingredientName(catalog, lang, draft.menu_code, code)}: ${amount}`);
  }
  if (draft.unit_price != null) {
    rows.push(`${t(lang, "kiosk.each")} ${money(lang, draft.unit_price)}`);
  }
  if (draft.total != null) rows.push(`${t(lang, "kiosk.total")} ${money(lang, draft.total)}`);
  const list = document.createElement("ul");
  list.append(
    ...rows.map((text) => Object.assign(document.createElement("li"), { textContent: text })),
  );
  element.replaceChildren(list);
  if (draft.image_id && picture) {
    const image = Object.assign(document.createElement("img"), {
      src: picture,
      alt: t(lang, "kiosk.cake"),
      width: 96,
      height: 96,
      className: "cake",
    });
    element.append(image);
  }
}

function ingredientName(catalog, lang, menuCode, code) {
  const menu = catalog?.menus.find((candidate) => candidate.code === menuCode);
  const ingredient = menu?.ingredients.find((candidate) => candidate.code === code);
  return ingredient ? localized(ingredient, "name", lang) : code;
}

export function showStatus(element, lang, status) {
  element.dataset.status = status;
  element.textContent = statusName(lang, status);
}
