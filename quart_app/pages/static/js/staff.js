// The staff board: sign in with a development token, then follow and move orders live.
import { get, post } from "./api.js";
import { DEFAULT_LANGUAGE, t } from "./i18n.js";
import { LiveConnection } from "./live.js";
import { renderCard } from "./order-card.js";
import { $, languagePicker, showError } from "./page.js";

const STATS_EVERY_MS = 5000;
const board = {
  lang: DEFAULT_LANGUAGE, // the picker's (set in main)
  steps: JSON.parse(document.body.dataset.steps),
  catalog: null,
  user: null, // {user_id, role, token}
  role: null,
  staff: [],
  orders: new Map(),
  onStep: step,
  onAssign: assign,
};
let statsTimer = null;

const live = new LiveConnection({
  credentials: async () => ({
    user_id: board.user.user_id,
    user_type: board.user.role,
    token: board.user.token,
  }),
  onEvent: (frame) => {
    if (frame.type.startsWith("order.") && frame.data?.order_id) upsert(frame.data);
  },
  onState: (state) => {
    $("ws-state").value = state;
  },
  // Runs outside any caller that could catch: a failed reload is shown, never left unhandled.
  onReplayIncomplete: () => loadOrders().catch(showError),
  onError: showError,
});

function upsert(order) {
  const known = board.orders.get(order.order_id);
  if (known && known.version > order.version) return; // a late copy of an older state
  board.orders.set(order.order_id, order);
  let card = document.querySelector(`[data-order-id="${order.order_id}"]`);
  if (!card) {
    card = document.createElement("li");
    $("orders").prepend(card);
  }
  renderCard(card, order, board);
  $("empty").hidden = true;
}

function renderAll() {
  const list = $("orders");
  list.replaceChildren();
  const orders = [...board.orders.values()].sort((a, b) =>
    a.created_at.localeCompare(b.created_at),
  );
  for (const order of orders) {
    const card = document.createElement("li");
    list.prepend(card);
    renderCard(card, order, board);
  }
  $("empty").hidden = orders.length > 0;
  if (board.user) {
    const role = t(board.lang, `role.${board.role}`);
    $("who").textContent = `${t(board.lang, "staff.signed_in")} ${board.user.user_id} (${role})`;
  }
}

async function step(order, target, button) {
  button.disabled = true;
  showError(null);
  try {
    upsert(await post(`/api/orders/${order.order_id}/status`, { status: target }, auth()));
  } catch (error) {
    showError(error);
    await reloadOrder(order.order_id);
  }
}

async function assign(order, staffId, role) {
  showError(null);
  try {
    upsert(await post(`/api/orders/${order.order_id}/assign`, { staff_id: staffId, role }, auth()));
  } catch (error) {
    showError(error);
  }
}

const auth = () => ({ token: board.user.token });

async function reloadOrder(orderId) {
  try {
    upsert(await get(`/api/orders/${orderId}`, auth()));
  } catch (error) {
    showError(error);
  }
}

async function loadOrders() {
  const { orders } = await get("/api/orders", auth());
  board.orders = new Map(orders.map((order) => [order.order_id, order]));
  renderAll();
}

async function refreshStats() {
  try {
    const [stats, { staff }] = await Promise.all([
      get("/api/ws/stats", auth()),
      get("/api/staff", auth()),
    ]);
    if (JSON.stringify(staff) !== JSON.stringify(board.staff)) {
      board.staff = staff; // someone signed in: they can be assigned now
      renderAll();
    }
    const rows = [
      [t(board.lang, "staff.total"), stats.total],
      [t(board.lang, "staff.users"), stats.users],
      ...Object.entries(stats.by_role).map(([role, count]) => [
        t(board.lang, `role.${role}`),
        count,
      ]),
    ];
    $("stats-list").replaceChildren(
      ...rows.map(([name, value]) => {
        const row = document.createElement("div");
        row.append(
          Object.assign(document.createElement("dt"), { textContent: name }),
          Object.assign(document.createElement("dd"), { textContent: String(value) }),
        );
        return row;
      }),
    );
  } catch (error) {
    showError(error);
  }
}

async function signIn(userId, role) {
  showError(null);
  live.stop();
  clearInterval(statsTimer);
  const { token } = await post("/api/dev/token", { user_id: userId, role });
  board.user = { user_id: userId, role, token };
  board.role = role;
  sessionStorage.setItem("staff.user", JSON.stringify(board.user));
  await loadOrders(); // also makes this user known (assignable) to the service
  $("stats").hidden = role !== "manager";
  if (role === "manager") {
    board.staff = (await get("/api/staff", auth())).staff;
    renderAll();
    refreshStats();
    statsTimer = setInterval(refreshStats, STATS_EVERY_MS);
  }
  live.start();
}

async function main() {
  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("login-user").value.trim(), $("login-role").value).catch(showError);
  });
  board.lang = languagePicker("staff.lang", (lang) => {
    board.lang = lang;
    renderAll();
  });
  renderAll();
  try {
    board.catalog = await get("/api/menus");
  } catch (error) {
    showError(error);
  }
  const saved = JSON.parse(sessionStorage.getItem("staff.user") ?? "null");
  if (saved) {
    $("login-user").value = saved.user_id;
    $("login-role").value = saved.role;
  }
  renderAll();
}

main();
