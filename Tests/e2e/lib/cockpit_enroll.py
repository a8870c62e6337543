#!/usr/bin/env python3
"""Cockpit login page in headless Chromium (Selenium), for enroll.sh.

    cockpit_enroll.py URL OUTDIR NEW_USER NEW_PASSWORD ENROLLED_USER ENROLLED_PASSWORD ENROLLED_SECRET

1. NEW_USER (no enrollment) logs in: types user and password, sees the enrollment
   the module shows (the otpauth URI and the grouped secret as text at least), answers
   with a code computed from the URI (oathtool), and lands on Cockpit's logged-in page.
   The backup codes come next, with a prompt that an empty answer acknowledges.
2. ENROLLED_USER logs in the ordinary way: password, then a code.
A screenshot of each page goes to OUTDIR (cockpit-*.png), and the text Cockpit showed
to OUTDIR/cockpit-enrollment.txt. Prints one "PASS name" or "FAIL name (detail)" line
per case. Exit status 0 when every case passed.
"""
import re
import subprocess
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from cockpit_browser import Verdicts, browser, logged_in, submit
import cockpit_browser

url, outdir, new_user, new_password, old_user, old_password, old_secret = sys.argv[1:8]
verdict = Verdicts()


def log_in(driver, user, password, shot):
    cockpit_browser.log_in(driver, url, user, password, f"{outdir}/{shot}-1-login.png")


def backup_codes_prompt(driver):
    """Waits for the next page: the backup codes with their prompt, or the logged-in page."""
    def either(d):
        prompt = d.find_elements(By.ID, "conversation-prompt")
        if prompt and prompt[0].is_displayed() and "backup codes" in prompt[0].text:
            return "codes"
        top = d.find_elements(By.ID, "topnav")
        return "shell" if top and top[0].is_displayed() else False
    return WebDriverWait(driver, 60).until(either)


driver = browser()
try:
    # 1. Enrollment at login.
    log_in(driver, new_user, new_password, "cockpit-enroll")
    message = driver.find_element(By.ID, "conversation-message")
    prompt = driver.find_element(By.ID, "conversation-prompt").text
    shown = message.text if message.is_displayed() else ""
    driver.save_screenshot(f"{outdir}/cockpit-enroll-2-enrollment.png")
    raw = driver.execute_script("return document.getElementById('conversation-message').textContent") or ""
    with open(f"{outdir}/cockpit-enrollment.txt", "w", encoding="utf-8") as f:
        f.write("prompt: " + prompt + "\n\nrendered text:\n" + shown + "\n\ntextContent:\n" + raw + "\n")
    uri = re.search(r"otpauth://totp/\S+", shown)
    verdict(uri is not None, "the enrollment message shows the otpauth URI as text", shown[:200])
    secret = re.search(r"[?&]secret=([A-Z2-7]+)", uri.group(0)).group(1) if uri else ""
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    verdict(bool(secret) and grouped in shown, "the enrollment message shows the secret in groups of four")
    verdict("Verification code" in prompt, "the code field is labelled 'Verification code'", prompt)
    # enroll_qr=auto: cockpit-session sets no PAM_TTY, so no half-block QR code is drawn;
    # Cockpit would show each of its bytes as '?'. The screenshot above shows the page.
    wall = re.search(r"\?{4,}", shown + raw)
    verdict(wall is None and "\u2588" not in raw,
            "no QR code wall on the page: no run of '?' and no half blocks (enroll_qr=auto, no PAM_TTY)",
            wall.group(0)[:40] if wall else "")
    code = subprocess.run(["oathtool", "--totp", "-b", secret or "A"], capture_output=True, text=True).stdout.strip()
    submit(driver, code)
    page = backup_codes_prompt(driver)
    shown = driver.find_element(By.ID, "conversation-message").text if page == "codes" else ""
    driver.save_screenshot(f"{outdir}/cockpit-enroll-3-backup-codes.png")
    codes = re.findall(r"\b[a-z]{5}-[a-z]{5}\b", shown)
    verdict(page == "codes" and len(codes) == 10, "after a right code, the 10 backup codes are shown with a prompt", page)
    if page == "codes":
        submit(driver, "")
    verdict(logged_in(driver, f"{outdir}/cockpit-enroll-4-logged-in.png"), "then Enter lands on the logged-in page (#topnav)")
    driver.delete_all_cookies()
    driver.quit()

    # 2. An ordinary login with a code.
    driver = browser()
    log_in(driver, old_user, old_password, "cockpit-login")
    prompt = driver.find_element(By.ID, "conversation-prompt").text
    message = driver.find_element(By.ID, "conversation-message")
    driver.save_screenshot(f"{outdir}/cockpit-login-2-code.png")
    verdict("Verification code" in prompt and not (message.is_displayed() and "otpauth" in message.text),
            "an enrolled user is asked for a code, with no enrollment", prompt)
    code = subprocess.run(["oathtool", "--totp", "-b", old_secret, "-N", "now + 30 seconds"],
                          capture_output=True, text=True).stdout.strip()
    submit(driver, code)
    verdict(logged_in(driver, f"{outdir}/cockpit-login-3-logged-in.png"), "ordinary login: password + code lands on the logged-in page")
finally:
    driver.quit()
sys.exit(1 if verdict.failures else 0)
