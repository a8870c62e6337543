/*
 * swift-2fa's Cockpit page.
 *
 * Everything goes through swift-2fa-setup, spawned as the logged-in user: for an ordinary
 * user it talks to the self-service socket (/run/swift-2fa/self.sock), which identifies the
 * caller by its peer credentials and wants a current code (or an unused backup code) for
 * each request. The first code the user types opens a short session: the command prints a
 * token that the next requests present instead of a code, because a TOTP code can be used
 * only once. That code goes to the command's standard input, as does a new device's code,
 * which activates it (`confirm`): no code is ever on a command line.
 *
 * With Cockpit's administrative access, the admin part runs the command as root
 * (superuser "require"): the coverage report, unlock and reset.
 */
"use strict";

const COMMAND = "swift-2fa-setup";

/** The session token of the last accepted code, or null before one. */
let session = null;
/** The credentials of the last status, for the remove rule (never the last one). */
let credentialCount = 0;

const $ = (id) => document.getElementById(id);

/**
 * Runs swift-2fa-setup with `args`. Resolves (never rejects) to
 * { exit, stdout, stderr }: exit 0 on success, the command's exit status otherwise
 * (1 refused, 2 not enrolled, 64 usage, 74 I/O or the socket is not running).
 */
function run(args, { input = null, admin = false } = {}) {
    const options = { err: "message" };
    if (admin) options.superuser = "require";
    return new Promise((resolve) => {
        const child = cockpit.spawn([COMMAND].concat(args), options);
        child.then(
            (stdout) => resolve({ exit: 0, stdout, stderr: "" }),
            (failure, stdout) => resolve({
                exit: typeof failure.exit_status === "number" ? failure.exit_status : -1,
                stdout: stdout || "",
                stderr: failure.message || failure.problem || String(failure),
            }));
        child.input(input === null ? "" : input + "\n");
    });
}

/** The JSON object a --json command printed, or null. */
function parsed(result) {
    try {
        return JSON.parse(result.stdout);
    } catch (_) {
        return null;
    }
}

/** Keeps the session token of a reply that carries one. */
function keepSession(reply) {
    if (reply && typeof reply.session === "string" && reply.session !== "") session = reply.session;
}

/** The arguments that prove it is the user: the session token once there is one. */
function proof() {
    return session ? ["--session", session] : [];
}

function showAlert(text, success = false) {
    const alert = $("alert");
    alert.textContent = text;
    alert.classList.toggle("success", success);
    alert.hidden = false;
}

function clearAlert() {
    $("alert").hidden = true;
}

/** The one line to show for a failed command. */
function failure(result, what) {
    const detail = result.stderr.trim().split("\n").pop() || `exit status ${result.exit}`;
    return `${what}: ${detail.replace(/^swift-2fa-setup: /, "")}`;
}

function when(iso) {
    if (!iso) return "never";
    const date = new Date(iso);
    return isNaN(date.getTime()) ? iso : date.toLocaleString();
}

function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
}

function button(text, classes, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "s2fa-button " + classes;
    b.textContent = text;
    b.addEventListener("click", action);
    return b;
}

// --- The user's own second factor -----------------------------------------------------------

/** Shows a status object of `status --json`. */
function showStatus(status) {
    $("status-text").textContent = status.locked ? "enrolled, locked (ask your administrator)"
        : status.throttled_until ? `enrolled, throttled until ${when(status.throttled_until)}`
        : status.status;
    $("status-backup").textContent = String(status.backup_codes_left ?? "–");
    $("status-failures").textContent = String(status.failures ?? 0);
    const credentials = Array.isArray(status.credentials) ? status.credentials : [];
    credentialCount = credentials.length;
    const body = $("credentials").tBodies[0];
    body.replaceChildren();
    for (const credential of credentials) body.appendChild(credentialRow(credential));
    for (const id of ["status-card", "add-card", "backup-card"]) $(id).hidden = false;
    $("unlock-card").hidden = true;
}

function credentialRow(credential) {
    const row = document.createElement("tr");
    row.dataset.label = credential.label;
    cell(row, credential.label).className = "label";
    cell(row, credential.kind === "HOTP" ? `token (HOTP, ${credential.digits} digits)`
        : `app (TOTP, ${credential.digits} digits)`);
    cell(row, when(credential.created));
    cell(row, when(credential.last_used));
    const actions = cell(row, "");
    actions.className = "actions";
    actions.appendChild(button("Rename", "link rename", () => startRename(row, credential)));
    const remove = button("Remove", "link danger remove", () => confirmRemove(row, credential));
    if (credentialCount <= 1) {
        remove.disabled = true;
        remove.title = "The last device cannot be removed here; your administrator can reset your enrollment.";
    }
    actions.appendChild(remove);
    return row;
}

function startRename(row, credential) {
    const actions = row.querySelector(".actions");
    const input = document.createElement("input");
    input.className = "rename-input";
    input.value = credential.label;
    input.setAttribute("aria-label", "New label");
    actions.replaceChildren(input,
        button("Save", "primary save", async () => {
            const result = await run(["credentials", "rename", ...proof(), String(credential.id), input.value]);
            if (result.exit !== 0) showAlert(failure(result, "Rename failed"));
            else { showAlert(`Renamed ${credential.label} to ${input.value}.`, true); }
            await refresh();
        }),
        button("Cancel", "link", () => refresh()));
    input.focus();
}

function confirmRemove(row, credential) {
    const actions = row.querySelector(".actions");
    const question = document.createElement("span");
    question.textContent = `Remove ${credential.label}? `;
    actions.replaceChildren(question,
        button("Remove", "danger confirm-remove", async () => {
            const result = await run(["credentials", "remove", ...proof(), String(credential.id)]);
            if (result.exit !== 0) showAlert(failure(result, "Remove failed"));
            else { showAlert(`Removed ${credential.label}.`, true); }
            await refresh();
        }),
        button("Cancel", "link", () => refresh()));
}

/** Reads the status again with the session (no code needed). */
async function refresh() {
    if (!session) return;
    const result = await run(["status", "--json", ...proof()]);
    const status = parsed(result);
    keepSession(status);
    if (status && (result.exit === 0 || result.exit === 2)) showStatus(status);
    else showAlert(failure(result, "Status failed"));
}

async function unlock(event) {
    event.preventDefault();
    clearAlert();
    const field = $("unlock-code");
    const code = field.value.trim();
    field.value = "";
    $("unlock-button").disabled = true;
    const result = await run(["status", "--json"], { input: code });
    $("unlock-button").disabled = false;
    const status = parsed(result);
    if (result.exit === 0 && status) {
        keepSession(status);
        showStatus(status);
    } else if (result.exit === 2) {
        showAlert("You are not enrolled. Your next login asks you to set up an app if your administrator allows it; otherwise ask your administrator.");
    } else {
        showAlert(failure(result, "Not accepted"));
    }
}

// --- Adding a device ----------------------------------------------------------------------------

async function addDevice(event) {
    event.preventDefault();
    clearAlert();
    const label = $("add-label").value.trim();
    const result = await run(["enroll", "--add", "--label", label, "--pending", "--json", ...proof()]);
    const pending = parsed(result);
    if (result.exit !== 0 || !pending || typeof pending.qr_svg !== "string") {
        showAlert(failure(result, "Could not add a device"));
        return;
    }
    keepSession(pending);
    $("add-qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(pending.qr_svg);
    $("add-secret").textContent = (pending.secret || "").replace(/(.{4})/g, "$1 ").trim();
    $("add-uri").textContent = pending.uri || "";
    $("add-pending").hidden = false;
    $("add-form").hidden = true;
    $("confirm-code").focus();
}

async function confirmDevice(event) {
    event.preventDefault();
    clearAlert();
    const field = $("confirm-code");
    const code = field.value.trim();
    field.value = "";
    // The new device's own code; confirm takes no session.
    const result = await run(["confirm", "--json"], { input: code });
    if (result.exit !== 0) {
        showAlert(failure(result, "Not activated"));
        return;
    }
    const reply = parsed(result);
    keepSession(reply);
    showAlert(`The new device ${reply && reply.credential ? reply.credential : ""} is active.`, true);
    $("add-pending").hidden = true;
    $("add-qr").removeAttribute("src");
    $("add-secret").textContent = "";
    $("add-uri").textContent = "";
    $("add-form").hidden = false;
    $("add-form").reset();
    await refresh();
}

// --- Backup codes -----------------------------------------------------------------------------

async function regenerateBackupCodes() {
    clearAlert();
    const result = await run(["backup-codes", "--regenerate", "--json", ...proof()]);
    const reply = parsed(result);
    if (result.exit !== 0 || !reply || !Array.isArray(reply.backup_codes)) {
        showAlert(failure(result, "No new backup codes"));
        return;
    }
    keepSession(reply);
    const list = $("backup-codes");
    list.replaceChildren();
    for (const code of reply.backup_codes) {
        const item = document.createElement("li");
        item.textContent = code;
        list.appendChild(item);
    }
    $("backup-new").hidden = false;
    $("backup-button").hidden = true;
}

async function backupCodesSaved() {
    $("backup-codes").replaceChildren();
    $("backup-new").hidden = true;
    $("backup-button").hidden = false;
    await refresh();
}

// --- The administrator's part -------------------------------------------------------------------

async function loadReport() {
    const result = await run(["report", "--json"], { admin: true });
    const report = parsed(result);
    const body = $("accounts").tBodies[0];
    body.replaceChildren();
    if (result.exit !== 0 || !report || !Array.isArray(report.accounts)) {
        showAlert(failure(result, "The report failed"));
        return;
    }
    for (const account of report.accounts) body.appendChild(accountRow(account));
}

function accountRow(account) {
    const row = document.createElement("tr");
    row.dataset.user = account.user;
    cell(row, account.user);
    cell(row, account.error ? `unreadable: ${account.error}` : account.exempt ? `${account.status} (exempt: ${account.exempt})` : account.status);
    cell(row, account.credentials === null ? "–" : String(account.credentials));
    cell(row, account.locked ? "locked" : account.throttled_until ? `throttled until ${when(account.throttled_until)}`
        : account.failures ? `${account.failures} failed` : "");
    cell(row, account.backup_codes_left === null ? "–" : String(account.backup_codes_left));
    cell(row, account.last_accepted ? when(account.last_accepted) : "");
    const actions = cell(row, "");
    actions.className = "actions";
    if (account.locked || account.failures || account.throttled_until) {
        actions.appendChild(button("Unlock", "link unlock", () => adminAction(["unlock", "--user", account.user], `Unlocked ${account.user}.`)));
    }
    if (account.status !== "not enrolled") {
        actions.appendChild(button("Reset", "link danger reset", () => {
            const question = document.createElement("span");
            question.textContent = `Remove ${account.user}'s enrollment? `;
            actions.replaceChildren(question,
                button("Reset", "danger confirm-reset", () => adminAction(["reset", "--user", account.user], `Reset ${account.user}: they enroll again at their next login or with an admin.`)),
                button("Cancel", "link", () => loadReport()));
        }));
    }
    return row;
}

async function adminAction(args, done) {
    clearAlert();
    const result = await run(args, { admin: true });
    if (result.exit !== 0) showAlert(failure(result, `${args[0]} failed`));
    else showAlert(done, true);
    await loadReport();
}

/**
 * Shows the admin part while the session has administrative access: a command run as root
 * (superuser "require") succeeds only then. Checked at start and whenever Cockpit's
 * superuser state changes (the top bar's "Limited access" / "Administrative access").
 */
function watchAdministrativeAccess() {
    const update = () => {
        cockpit.spawn(["true"], { superuser: "require", err: "ignore" }).then(
            () => { $("admin-card").hidden = false; loadReport(); },
            () => { $("admin-card").hidden = true; });
    };
    const superuser = cockpit.dbus(null, { bus: "internal" }).proxy("cockpit.Superuser", "/superuser");
    superuser.addEventListener("changed", update);
    update();
}

// --- Start --------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
    cockpit.user().then((user) => { $("user-name").textContent = user.name; });
    $("unlock-form").addEventListener("submit", unlock);
    $("add-form").addEventListener("submit", addDevice);
    $("confirm-form").addEventListener("submit", confirmDevice);
    $("backup-button").addEventListener("click", regenerateBackupCodes);
    $("backup-saved").addEventListener("click", backupCodesSaved);
    $("admin-refresh").addEventListener("click", loadReport);
    watchAdministrativeAccess();
});
