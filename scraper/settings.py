"""Scrapy settings for Tidings: polite defaults for the open web.

The politeness values below are defaults: the `[crawl]` table of the
configuration overrides them, for `tidings run` (monitor.crawl.scrapy_settings)
and for `scrapy crawl listing` (the add-on named in ADDONS) alike.
Components a listing monitor does not need are switched off: each costs
time on every request.
"""

BOT_NAME = "tidings"
SPIDER_MODULES = ["scraper.spiders"]
NEWSPIDER_MODULE = "scraper.spiders"

# Where `scrapy crawl listing` reads its configuration and writes its archive
# (None: $TIDINGS_CONFIG / $TIDINGS_DB, else tidings.toml / data/tidings.db).
TIDINGS_CONFIG = None
TIDINGS_DB = None

# The monitor's components, named as strings so that the scraper imports
# nothing of the monitor (Scrapy loads them with load_object at start):
# where `scrapy crawl listing` finds its sources (scraper.plan) ...
TIDINGS_SOURCES = "monitor.crawl.configured_sources"
# ... and the pipeline that records each source's crawl and queues its alerts.
ITEM_PIPELINES = {"monitor.pipeline.ArchivePipeline": 300}
# ... and, for `scrapy crawl listing`, the configuration's [crawl] table
# (user agent, delay, concurrency, robots.txt, size limit) over the politeness
# defaults below, as `tidings run` applies it.
ADDONS = {"monitor.crawl.ConfiguredCrawlSettings": 0}
# Set on the crawler (never by hand) by a program that starts the crawl in its
# own process, as `tidings run` does (monitor.crawl): the spider's
# scraper.plan.CrawlPlan, and the pipeline's monitor.record.RunContext.
# None: `scrapy crawl`, which reads TIDINGS_CONFIG and writes to TIDINGS_DB.
TIDINGS_CRAWL_PLAN = None
TIDINGS_RUN_CONTEXT = None

# The browser of a crawl with sources rendered in one (render = "browser";
# scraper.browser): the Chromium to launch (None: $TIDINGS_BROWSER, the
# system's, else Playwright's), pages open at once, and no images, fonts or
# media fetched.  `tidings run` sets them from the [browser] table.
TIDINGS_BROWSER_EXECUTABLE = None
TIDINGS_BROWSER_PAGES = 2
TIDINGS_BROWSER_BLOCK_MEDIA = True

# Politeness: obey robots.txt, a few requests per host, a pause between
# requests to one host, and a User-Agent that says who we are.
ROBOTSTXT_OBEY = True
USER_AGENT = "Tidings (+https://github.com/tidings-monitor/tidings)"
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
# AutoThrottle starts at 5 s by default; start at the configured delay so a
# one-page run does not wait seconds between robots.txt and the page.
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
# Scrapy's downloader, except that a host never gets more than
# CONCURRENT_REQUESTS_PER_DOMAIN requests at once, even with no delay
# (Scrapy 2.14+ sends a host's whole queue at once then: scraper.downloader).
DOWNLOADER = "scraper.downloader.PoliteDownloader"

# Limits: a listing page is small; a huge or endless response is a fault.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
# One retry for transient failures; more would only delay the verdict, and
# the next scheduled run retries anyway.
RETRY_TIMES = 1
# Not 503 or 429: a server that is overloaded or rate-limiting asked us to
# come back later (often with Retry-After); the next scheduled run will.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
REDIRECT_MAX_TIMES = 10
# Only the web is fetched: no local files, FTP, S3 or data: URLs, whatever a
# config, a redirect or a next-page link asks for (see docs/security.md).
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}

# Not needed by a listing monitor.  Each enabled component runs on every
# request or response; profiling a 1,000-source run showed these cost time
# for nothing (Tidings keeps its own per-source statistics in the archive).
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
STATS_CLASS = "scrapy.statscollectors.DummyStatsCollector"
# The *_BASE tables are replaced, not just switched off entry by entry:
# Scrapy imports every component named there even when disabled, and the
# remote-control extension alone pulled in aiohttp (0.3 s of CPU at each
# start) and the cookies middleware tldextract and requests.  Add components
# through EXTENSIONS / DOWNLOADER_MIDDLEWARES / SPIDER_MIDDLEWARES as usual.
EXTENSIONS_BASE = {
    "scrapy.extensions.throttle.AutoThrottle": 0,
}
EXTENSIONS: dict = {}
DOWNLOADER_MIDDLEWARES_BASE = {
    # Only configured URLs and the links a listing's pager gives are asked:
    # no offsite filter; no cookies, HTTP auth or cache; no stats.
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
}
DOWNLOADER_MIDDLEWARES = {
    "scraper.middlewares.RobotsTxtSlotMiddleware": 90,
    # Scrapy 2.19's own lets all but two waiting requests past robots.txt (scraper.middlewares).
    "scraper.middlewares.RobotsTxtMiddleware": 100,
    # Cookies a redirect sets, passed on along that redirect only (a site that
    # sets one and redirects to itself would otherwise loop): just before the
    # redirect middleware (600) sees the response.
    "scraper.middlewares.RedirectCookiesMiddleware": 610,
}
SPIDER_MIDDLEWARES_BASE = {
    # No URL length, depth (max_pages bounds it) or meta-copy checks.  The
    # referer middleware stays: a next page asked with its listing as Referer
    # is what a browser does, and without it the redirect middlewares warn
    # at every start.
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": 700,
}
SPIDER_MIDDLEWARES: dict = {}

# Each response yields one thing (the next page's request or the source's
# finished crawl), yet Scrapy starts CONCURRENT_ITEMS (default 100) asyncio
# tasks per response to process its output: 100,000 tasks for 1,000 pages.
CONCURRENT_ITEMS = 1

# Scrapy re-reads the callback's source for this check on every response (bound
# methods miss its cache): a measurable cost per page for a warning we never need.
WARN_ON_GENERATOR_RETURN_VALUE = False

LOG_LEVEL = "INFO"
# Scrapy logs the versions of ten libraries at every start, looking each up in
# the installed packages' metadata and asking the platform: about 18 ms of CPU
# per run for a log line Tidings hides unless run with -vv.
LOG_VERSIONS: list = []
STATS_DUMP = False
FEED_EXPORT_ENCODING = "utf-8"
