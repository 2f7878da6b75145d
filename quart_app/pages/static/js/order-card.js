// One order on the staff board: its lines, picture, status, and the steps this role may take.
import { money, statusName, stepName, t } from "./i18n.js";
import { lineText, showStatus } from "./order-view.js";

// board: {lang, role, catalog, steps, staff, onStep(order, status), onAssign(order, staffId, role)}
export function renderCard(card, order, board) {
  const { lang } = board;
  card.dataset.orderId = order.order_id;
  card.setAttribute("data-testid", "order-card");
  card.className = `order-card status-${order.status}`;

  const heading = document.createElement("h3");
  heading.textContent = `#${order.order_id.slice(0, 8)}`;
  const time = document.createElement("time");
  time.dateTime = order.created_at;
  time.textContent = new Date(order.created_at).toLocaleTimeString(lang);
  heading.append(" ", time);

  const lines = document.createElement("ul");
  lines.className = "lines";
  const pictures = [];
  for (const item of order.items) {
    const line = document.createElement("li");
    line.textContent = lineText(board.catalog, lang, item);
    lines.append(line);
    if (item.image_path) {
      const image = document.createElement("img");
      image.src = item.image_path;
      image.alt = `${t(lang, "kiosk.cake")}: ${lineText(board.catalog, lang, item)}`;
      image.width = image.height = 120;
      image.className = "cake";
      pictures.push(image);
    }
  }

  const total = document.createElement("p");
  total.textContent = `${t(lang, "kiosk.total")} ${money(lang, order.total)}`;
  const status = document.createElement("p");
  const badge = document.createElement("strong");
  badge.setAttribute("data-testid", "order-card-status");
  showStatus(badge, lang, order.status);
  status.append(`${t(lang, "kiosk.status")}: `, badge);

  const people = document.createElement("p");
  people.className = "hint";
  people.textContent = [
    order.assigned_cook && `${t(lang, "staff.cook")}: ${order.assigned_cook}`,
    order.assigned_delivery && `${t(lang, "staff.courier")}: ${order.assigned_delivery}`,
  ]
    .filter(Boolean)
    .join(" · ");
  people.hidden = !people.textContent;

  const actions = document.createElement("div");
  actions.className = "actions";
  for (const target of board.steps[board.role]?.[order.status] ?? []) {
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("data-testid", `step-${target}`);
    button.textContent = stepName(lang, target);
    button.title = statusName(lang, target);
    if (target === "cancelled") button.className = "secondary";
    button.addEventListener("click", () => board.onStep(order, target, button));
    actions.append(button);
  }
  card.replaceChildren(heading, lines, ...pictures, total, status, people, actions);
  if (board.role === "manager" && (board.steps.manager[order.status] ?? []).length) {
    card.append(assignForm(order, board));
  }
}

function assignForm(order, board) {
  const { lang } = board;
  const form = document.createElement("form");
  form.className = "assign";
  const id = `assign-${order.order_id}`;
  const label = Object.assign(document.createElement("label"), {
    htmlFor: id,
    textContent: t(lang, "staff.assign_to"),
  });
  const select = Object.assign(document.createElement("select"), { id });
  for (const person of board.staff) {
    const option = document.createElement("option");
    option.value = `${person.role}:${person.user_id}`;
    option.textContent = `${person.user_id} (${t(lang, `role.${person.role}`)})`;
    select.append(option);
  }
  const button = Object.assign(document.createElement("button"), {
    type: "submit",
    textContent: t(lang, "staff.assign"),
    disabled: !board.staff.length,
  });
  form.append(label, select, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const [role, ...rest] = select.value.split(":");
    board.onAssign(order, rest.join(":"), role);
  });
  return form;
}
