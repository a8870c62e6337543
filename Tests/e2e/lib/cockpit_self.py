#!/usr/bin/env python3
"""swift-2fa's Cockpit page in headless Chromium (Selenium), for cockpit_self.sh.

    cockpit_self.py URL OUTDIR USER PASSWORD SECRET BACKUP_CODE ADMIN ADMIN_PASSWORD

USER is enrolled with the TOTP secret SECRET (base32), whose current time step the
enrollment used, and has the unused backup code BACKUP_CODE. The page runs swift-2fa-setup as
USER, which talks to the self-service socket. Steps, each with a screenshot in OUTDIR
(cockpit-self-*.png):
 1. log in to Cockpit with password and code; open the page;
 2. a wrong code is refused; an unused backup code shows the status with
    one device;
 3. add a device: read the SVG QR code back from the screen (zbarimg), type its code
    (oathtool), and see two devices;
 4. rename the new device, then remove it;
 5. generate new backup codes, shown once with a "saved" step;
 6. a new Cockpit session logs in with one of the new backup codes;
 7. ADMIN (not enrolled, may use sudo) logs in with administrative access, sees USER in
    the accounts table, and resets USER's enrollment.
Prints one "PASS name" or "FAIL name (detail)" line per case; exit status 0 when all passed.
"""
import re
import subprocess
import sys
import time
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import cockpit_browser
from cockpit_browser import Verdicts, browser, logged_in, submit, visible

url, outdir, user, password, secret, backup_code, admin, admin_password = sys.argv[1:9]
page_url = url + "cockpit/@localhost/swift-2fa/index.html"
verdict = Verdicts()


def totp(key, step_offset=0):
    """The code of KEY (base32) at the current time step plus STEP_OFFSET."""
    when = f"now + {30 * step_offset} seconds" if step_offset else "now"
    return subprocess.run(["oathtool", "--totp", "-b", key, "-N", when],
                          capture_output=True, text=True, check=True).stdout.strip()


def shot(driver, name):
    driver.save_screenshot(f"{outdir}/cockpit-self-{name}.png")


def alert_text(driver, seconds=30):
    """Waits for the page's alert and returns its text."""
    return visible(driver, "alert", seconds).text


def wait_alert_change(driver, before, seconds=30):
    """Waits until the alert shows and differs from BEFORE; returns its text."""
    def changed(d):
        element = d.find_element(By.ID, "alert")
        return element.text if element.is_displayed() and element.text != before else False
    return WebDriverWait(driver, seconds).until(changed)


def credential_labels(driver):
    rows = driver.find_elements(By.CSS_SELECTOR, "#credentials tbody tr")
    return [row.get_attribute("data-label") for row in rows]


def wait_labels(driver, want, seconds=30):
    """Waits until the devices table shows exactly the labels WANT; returns what it shows."""
    try:
        WebDriverWait(driver, seconds).until(lambda d: credential_labels(d) == want)
    except Exception:
        pass
    return credential_labels(driver)


def row_button(driver, label, css):
    return driver.find_element(By.CSS_SELECTOR, f'#credentials tr[data-label="{label}"] {css}')


driver = browser()
try:
    # 1. Cockpit login with password and code, then the page.
    cockpit_browser.log_in(driver, url, user, password, f"{outdir}/cockpit-self-1-login.png")
    submit(driver, totp(secret, 1))
    verdict(logged_in(driver, f"{outdir}/cockpit-self-1-logged-in.png"), "log in to Cockpit with password and code")
    driver.get(page_url)
    visible(driver, "unlock-code")
    shot(driver, "2-page")
    try:
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "user-name").text == user)
    except Exception:
        pass
    shown_user = driver.find_element(By.ID, "user-name").text
    verdict(shown_user == user, "the page opens for the logged-in user", shown_user)

    # 2. A wrong code, then an unused backup code (the login used the last step in the window).
    wrong = "".join(str((int(c) + 5) % 10) for c in totp(secret, 1))
    driver.find_element(By.ID, "unlock-code").send_keys(wrong)
    driver.find_element(By.ID, "unlock-button").click()
    refused = alert_text(driver)
    shot(driver, "3-wrong-code")
    verdict("Not accepted" in refused and driver.find_element(By.ID, "status-card").is_displayed() is False,
            "a wrong code is refused and shows no status", refused)
    driver.find_element(By.ID, "unlock-code").send_keys(backup_code)
    driver.find_element(By.ID, "unlock-button").click()
    visible(driver, "status-card")
    labels = wait_labels(driver, ["default"])
    shot(driver, "4-status")
    verdict(labels == ["default"], "an unused backup code shows the status with one device", str(labels))

    # 3. Add a device: the QR code read back from the screen, then its code.
    driver.find_element(By.ID, "add-label").send_keys("second-phone")
    driver.find_element(By.ID, "add-button").click()
    qr = visible(driver, "add-qr")
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "const i = document.getElementById('add-qr'); return i.complete && i.naturalWidth > 0;"))
    shot(driver, "5-add-device")
    qr.screenshot(f"{outdir}/cockpit-self-5-qr.png")
    scanned = subprocess.run(["zbarimg", "--raw", "-q", f"{outdir}/cockpit-self-5-qr.png"],
                             capture_output=True, text=True).stdout.strip()
    shown_uri = driver.find_element(By.ID, "add-uri").text
    verdict(scanned.startswith("otpauth://totp/") and scanned == shown_uri,
            "the QR code on the screen holds the URI shown as text", f"scanned {scanned[:60]!r}")
    new_secret = urllib.parse.parse_qs(urllib.parse.urlparse(scanned).query).get("secret", [""])[0]
    shown_secret = driver.find_element(By.ID, "add-secret").text.replace(" ", "")
    verdict(bool(new_secret) and new_secret == shown_secret and new_secret != secret,
            "the secret shown as text is the QR code's, and a new one")
    before = driver.find_element(By.ID, "alert").text
    driver.find_element(By.ID, "confirm-code").send_keys(totp(new_secret or secret))
    driver.find_element(By.ID, "confirm-button").click()
    activated = wait_alert_change(driver, before)
    labels = wait_labels(driver, ["default", "second-phone"])
    shot(driver, "6-device-added")
    verdict("active" in activated and labels == ["default", "second-phone"],
            "its code activates the new device: two devices", f"{activated}; {labels}")

    # 4. Rename it, then remove it.
    row_button(driver, "second-phone", "button.rename").click()
    field = driver.find_element(By.CSS_SELECTOR, '#credentials tr[data-label="second-phone"] input.rename-input')
    field.clear()
    field.send_keys("tablet")
    row_button(driver, "second-phone", "button.save").click()
    labels = wait_labels(driver, ["default", "tablet"])
    shot(driver, "7-renamed")
    verdict(labels == ["default", "tablet"], "rename a device", str(labels))
    row_button(driver, "tablet", "button.remove").click()
    row_button(driver, "tablet", "button.confirm-remove").click()
    labels = wait_labels(driver, ["default"])
    shot(driver, "8-removed")
    verdict(labels == ["default"], "remove a device", str(labels))
    last = row_button(driver, "default", "button.remove")
    verdict(not last.is_enabled(), "the last device cannot be removed")

    # 5. New backup codes, shown once.
    driver.find_element(By.ID, "backup-button").click()
    visible(driver, "backup-new")
    codes = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#backup-codes li")]
    shot(driver, "9-backup-codes")
    verdict(len(codes) == 10 and all(re.fullmatch(r"[a-z]{5}-[a-z]{5}", c) for c in codes),
            "10 new backup codes are shown", str(codes[:2]))
    driver.find_element(By.ID, "backup-saved").click()
    time.sleep(1)
    gone = not driver.find_element(By.ID, "backup-new").is_displayed() and \
        not driver.find_elements(By.CSS_SELECTOR, "#backup-codes li")
    shot(driver, "10-backup-codes-saved")
    verdict(gone, "after 'I have saved them' the codes are gone from the page")
    left = driver.find_element(By.ID, "status-backup").text
    verdict(left == "10", "the status shows 10 backup codes left", left)
    driver.delete_all_cookies()
    driver.quit()

    # 6. A new session logs in with one of the new backup codes.
    driver = browser()
    cockpit_browser.log_in(driver, url, user, password, f"{outdir}/cockpit-self-11-login.png")
    submit(driver, codes[0] if codes else "none")
    verdict(logged_in(driver, f"{outdir}/cockpit-self-12-backup-code-login.png"),
            "a new session logs in with one of the new backup codes")
    driver.delete_all_cookies()
    driver.quit()

    # 7. The administrator's part: the accounts table, then a reset.
    driver = browser()
    cockpit_browser.log_in(driver, url, admin, admin_password, f"{outdir}/cockpit-self-13-admin-login.png",
                           conversation=False)
    verdict(logged_in(driver, f"{outdir}/cockpit-self-13-admin-logged-in.png"), "the admin logs in (not enrolled, nullok)")
    # Cockpit starts in limited access; the admin turns on administrative access (sudo)
    # with the top bar's button.
    try:
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(
            By.XPATH, "//button[contains(., 'Limited access')]"))[0].click()
        field = WebDriverWait(driver, 30).until(lambda d: [e for e in d.find_elements(
            By.CSS_SELECTOR, ".pf-c-modal-box input[type=password], [role=dialog] input[type=password]") if e.is_displayed()])[0]
        field.send_keys(admin_password)
        driver.find_element(By.XPATH, "//*[@role='dialog']//button[contains(., 'Authenticate')]").click()
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.XPATH, "//*[contains(text(), 'Administrative access')]")
                                        and not d.find_elements(By.XPATH, "//*[@role='dialog']"))
        admin_on = True
    except Exception as error:
        admin_on = False
        print(f"administrative access: {type(error).__name__} {error}", flush=True)
    shot(driver, "13-admin-access")
    verdict(admin_on, "the admin turns on administrative access (sudo with the password)")
    driver.get(page_url)
    row = f'#accounts tr[data-user="{user}"]'
    try:
        WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, row))
        listed = True
    except Exception:
        listed = False
    shot(driver, "14-admin-accounts")
    verdict(listed, "with administrative access, the accounts table lists the user")
    if listed:
        driver.find_element(By.CSS_SELECTOR, f"{row} button.reset").click()
        driver.find_element(By.CSS_SELECTOR, f"{row} button.confirm-reset").click()
        done = alert_text(driver)
        try:
            WebDriverWait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, row).find_elements(
                By.TAG_NAME, "td")[1].text == "not enrolled")
        except Exception:
            pass
        status = driver.find_element(By.CSS_SELECTOR, row).find_elements(By.TAG_NAME, "td")[1].text
        shot(driver, "15-admin-reset")
        verdict(done.startswith("Reset") and status == "not enrolled", "the admin resets the user's enrollment",
                f"{done}; {status}")
finally:
    driver.quit()
sys.exit(1 if verdict.failures else 0)
