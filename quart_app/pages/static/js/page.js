// What both pages share: element lookup, the error line, the language picker, localized fields.
import { DEFAULT_LANGUAGE, errorText, pickLanguage, translate } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

// item[`${field}_${lang}`] (e.g. name_en): every catalog text says its language, and a page
// in one language never shows another's (an empty description stays empty).
export function localized(item, field, lang) {
  return item[`${field}_${lang}`] ?? "";
}

let language = DEFAULT_LANGUAGE;
let shownError = null;

// The page's language: the one stored under storageKey, else the browser's. Picking another
// in the #lang picker stores it, translates the page and calls onChange(lang).
export function languagePicker(storageKey, onChange) {
  language = pickLanguage(localStorage.getItem(storageKey));
  const picker = $("lang");
  picker.value = language;
  picker.addEventListener("change", () => {
    language = picker.value;
    localStorage.setItem(storageKey, language);
    showLanguage();
    onChange(language);
  });
  showLanguage();
  return language;
}

function showLanguage() {
  translate(document, language);
  showError(shownError);
}

// Shows a failure on the #error line in the page's language, or clears the line. failure has
// the contract's {code, message}: an ApiFailure, or an error frame from the socket.
export function showError(failure) {
  shownError = failure ?? null;
  $("error").textContent = shownError ? errorText(language, shownError) : "";
}
