"""Headless Chromium (Selenium) against a test's cockpit-ws: what the Cockpit browser tests share.

Debian's python3-selenium and chromium-driver. Each test prints one "PASS name" or
"FAIL name (detail)" line per case; the shell script turns them into its own results.
"""
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


class Verdicts:
    """Prints the cases and counts the failed ones."""

    def __init__(self):
        self.failures = 0

    def __call__(self, ok, name, detail=""):
        print(("PASS " if ok else "FAIL ") + name + ("" if ok or not detail else f" ({detail})"), flush=True)
        self.failures += 0 if ok else 1


def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1400", "--lang=en-US"):
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path="/usr/bin/chromedriver") if hasattr(webdriver, "ChromeService") \
        else webdriver.chrome.service.Service(executable_path="/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=options)


def visible(driver, element_id, seconds=30):
    return WebDriverWait(driver, seconds).until(ec.visibility_of_element_located((By.ID, element_id)))


def log_in(driver, url, user, password, screenshot, conversation=True):
    """Types user and password on Cockpit's login page (saved to SCREENSHOT); with
    CONVERSATION, waits for the conversation page (the module's prompt)."""
    driver.get(url)
    visible(driver, "login-user-input").send_keys(user)
    driver.find_element(By.ID, "login-password-input").send_keys(password)
    driver.save_screenshot(screenshot)
    driver.find_element(By.ID, "login-button").click()
    if conversation:
        visible(driver, "conversation-input")


def submit(driver, text):
    """Answers the conversation page's prompt."""
    field = visible(driver, "conversation-input")
    field.send_keys(text)
    driver.find_element(By.ID, "login-button").click()


def logged_in(driver, screenshot):
    """True when Cockpit's logged-in page (#topnav) shows; the page is saved to SCREENSHOT."""
    try:
        visible(driver, "topnav", 60)
        ok = True
    except Exception:
        ok = False
    driver.save_screenshot(screenshot)
    return ok
