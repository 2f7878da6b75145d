// The catalog as cards. Tapping a card or a style says what a customer could have said.
import { money, t } from "./i18n.js";
import { localized } from "./page.js";

// What a customer says, given the names in the customer's language.
const PHRASES = {
  ko: {
    menu: (menu) => `${menu} 주세요`,
    style: (menu, style) => `${menu} ${style} 스타일로 주세요`,
    confirm: "네, 주문할게요",
    cancel: "주문 취소할게요",
  },
  en: {
    menu: (menu) => `I'd like the ${menu}`,
    style: (menu, style) => `${menu}, ${style} style please`,
    confirm: "Yes, please place the order",
    cancel: "Cancel the order",
  },
};

export const phrases = (lang) => PHRASES[lang];

// Fills list with one card per menu; say(text) is called with the customer's words.
export function renderMenu(list, catalog, lang, say) {
  list.replaceChildren(
    ...catalog.menus.map((menu) => {
      const name = localized(menu, "name", lang);
      const card = document.createElement("li");
      card.className = "menu-card";
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "menu-pick";
      pick.dataset.menu = menu.code;
      const title = document.createElement("strong");
      title.textContent = name;
      const price = document.createElement("span");
      price.className = "price";
      price.textContent = money(lang, menu.price);
      const description = document.createElement("span");
      description.className = "description";
      description.textContent = localized(menu, "description", lang);
      pick.append(title, price, description);
      pick.addEventListener("click", () => say(PHRASES[lang].menu(name)));

      const styles = document.createElement("div");
      styles.className = "styles";
      styles.setAttribute("role", "group");
      styles.setAttribute("aria-label", `${name}: ${t(lang, "kiosk.style")}`);
      for (const style of menu.styles) {
        const styleName = localized(style, "name", lang);
        const button = document.createElement("button");
        button.type = "button";
        button.className = "style";
        button.dataset.style = style.code;
        const delta = style.price_delta ? ` +${money(lang, style.price_delta)}` : "";
        button.textContent = `${styleName}${delta}`;
        button.addEventListener("click", () => say(PHRASES[lang].style(name, styleName)));
        styles.append(button);
      }
      card.append(pick, styles);
      return card;
    }),
  );
}
