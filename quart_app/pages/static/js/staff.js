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
  listed: false, // whether the orders were listed since the socket of this sign-in connected
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
  // The list is read once the socket is registered: an order placed before `connected` is in
  // the list, one placed after it comes as a notification (docs/contract.md §6.4).
  onConnected: () => {
    if (!board.listed) loadOrders().catch(showError);
  },
  // Runs outside any caller that could catch: a failed reload is shown, never left unhandled.
  onReplayIncomplete: () => loadOrders().catch(showError),
  onError: showError,
});

// Keeps order unless the board holds a newer version of it (a late copy of an older state);
// whether it was kept.
function keep(order) {
  const known = board.orders.get(order.order_id);
  if (known && known.version > order.version) return false;
  board.orders.set(order.order_id, order);
  return true;
}

function upsert(order) {
  if (!keep(order)) return;
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

// Merges the listed orders into the board: a notification that arrived while the list was on
// its way may be newer than the list's copy.
async function loadOrders() {
  const { orders } = await get("/api/orders", auth());
  for (const order of orders) keep(order);
  board.listed = true;
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
  board.orders = new Map();
  board.listed = false;
  sessionStorage.setItem("staff.user", JSON.stringify(board.user));
  live.start();
  $("stats").hidden = role !== "manager";
  if (role === "manager") {
    board.staff = (await get("/api/staff", auth())).staff;
    renderAll();
    refreshStats();
    statsTimer = setInterval(refreshStats, STATS_EVERY_MS);
  }
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
