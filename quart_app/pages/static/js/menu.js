// The catalog as cards. Tapping a card or a style says what a customer could have said.
import { money, t } from "./i18n.js";

const PHRASES = {
  ko: {
    menu: (menu) => `${menu.name} 주세요`,
    style: (menu, style) => `${menu.name} ${style.name} 스타일로 주세요`,
    confirm: "네, 주문할게요",
    cancel: "주문 취소할게요",
  },
  en: {
    menu: (menu) => `I'd like the ${menu.name_en}`,
    style: (menu, style) => `${menu.name_en}, ${style.name_en} style please`,
    confirm: "Yes, please place the order",
    cancel: "Cancel the order",
  },
};

export const phrases = (lang) => PHRASES[lang];

export function menuName(menu, lang) {
  return lang === "ko" ? menu.name : menu.name_en;
}

export function styleName(style, lang) {
  return lang === "ko" ? style.name : style.name_en;
}

// Fills list with one card per menu; say(text) is called with the customer's words.
export function renderMenu(list, catalog, lang, say) {
  list.replaceChildren(
    ...catalog.menus.map((menu) => {
      const card = document.createElement("li");
      card.className = "menu-card";
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "menu-pick";
      pick.dataset.menu = menu.code;
      const title = document.createElement("strong");
      title.textContent = menuName(menu, lang);
      const price = document.createElement("span");
      price.className = "price";
      price.textContent = money(lang, menu.price);
      const description = document.createElement("span");
      description.className = "description";
      description.textContent = lang === "ko" ? menu.description_ko : menu.description;
      pick.append(title, price, description);
      pick.addEventListener("click", () => say(PHRASES[lang].menu(menu)));

      const styles = document.createElement("div");
      styles.className = "styles";
      styles.setAttribute("role", "group");
      styles.setAttribute("aria-label", `${menuName(menu, lang)}: ${t(lang, "kiosk.style")}`);
      for (const style of menu.styles) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "style";
        button.dataset.style = style.code;
        const delta = style.price_delta ? ` +${money(lang, style.price_delta)}` : "";
        button.textContent = `${styleName(style, lang)}${delta}`;
        button.addEventListener("click", () => say(PHRASES[lang].style(menu, style)));
        styles.append(button);
      }
      card.append(pick, styles);
      return card;
    }),
  );
}
