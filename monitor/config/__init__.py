"""The configuration: `tidings.toml` read into frozen dataclasses, and selectors written back.

- monitor.config.model: the dataclasses (Config, Source, CrawlSettings, ...), no parsing;
- monitor.config.parse: reading and checking the file, every error naming file, table and key;
- monitor.config.write: selectors as TOML (`tidings preview --emit-config`, suggestions).

Values shared with the notifier kinds are checked by monitor.validators.
The names below are the package's public interface.
"""

from monitor.config.model import (
    ALERT_KINDS, BROWSER_STEP_KEYS, DEFAULT_CONFIG, DEFAULT_DB, PROJECT_URL, RENDER_BROWSER, RENDER_HTTP,
    AlertSettings, BrowserSettings, Config, CrawlSettings, NotifierConfig, Source,
)
from monitor.config.parse import (
    CONFIG_BASE_ENV, TOP_LEVEL_KEYS, config_from_bytes, load_config, parse_config, resolve_config_path,
    resolve_db_path,
)
from monitor.config.write import (
    selectors_inline, selectors_lines, source_name_for, source_toml, toml_string, unique_name,
)

__all__ = [
    "ALERT_KINDS", "BROWSER_STEP_KEYS", "RENDER_BROWSER", "RENDER_HTTP", "BrowserSettings", "CONFIG_BASE_ENV", "DEFAULT_CONFIG", "DEFAULT_DB", "PROJECT_URL", "TOP_LEVEL_KEYS",
    "AlertSettings", "Config", "CrawlSettings", "NotifierConfig", "Source",
    "config_from_bytes", "load_config", "parse_config", "resolve_config_path", "resolve_db_path",
    "selectors_inline", "selectors_lines", "source_name_for", "source_toml", "toml_string", "unique_name",
]
