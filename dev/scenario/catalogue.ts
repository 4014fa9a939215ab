/**
 * The detection catalogue the scenario is tuned against: the id each injected incident must trigger,
 * and the rule/threshold the background stays well under. Thresholds follow the seed project
 * (gopuff-sentry-platform, "gopuff" in the sources below: the Logstash-based platform this project
 * replaces, with its hunting queries and saved searches), Sentinel's SlackAudit analytic rules, and
 * Panther's and Scanner's Slack rules (docs/reference/seed-platform.md); where none of them fixes a
 * value it is chosen here and marked as such.
 */

export const DETECTION_IDS = {
  massDownload: 'slack.audit.mass-download',
  sensitiveFileDownloads: 'slack.audit.sensitive-file-downloads',
  filenameKeyword: 'slack.audit.filename-keyword',
  blockedMfaLogin: 'slack.audit.blocked-mfa-login',
  failedLoginsOneIp: 'slack.audit.failed-logins-one-ip',
  userManyIps: 'slack.audit.user-many-ips',
  manyUsersOneIp: 'slack.audit.many-users-one-ip',
  anomaly: 'slack.audit.anomaly',
  privilegeEscalation: 'slack.audit.privilege-escalation',
  archiveUploadBurst: 'slack.audit.archive-upload-burst',
  publicLinkSensitiveFile: 'slack.audit.public-link-sensitive-file',
  emptyUserAgent: 'slack.audit.empty-user-agent',
  loginAfterDeactivation: 'slack.audit.login-after-deactivation',
  sessionResetBurst: 'slack.audit.session-reset-burst',
  merakiPublicIpChange: 'meraki.uplink.public-ip-change',
} as const;
export type DetectionId = (typeof DETECTION_IDS)[keyof typeof DETECTION_IDS];
export const ALL_DETECTION_IDS: readonly DetectionId[] = Object.values(DETECTION_IDS);

export interface DetectionRule {
  /** What the rule counts, in words a detection author can implement. */
  rule: string;
  /** The count must be strictly greater than this (0 = any single match fires). */
  threshold: number;
  windowSec: number;
  /** What the finding is about: the dedupe subject. */
  subject: 'user' | 'ip' | 'device';
  /** Where the number comes from. */
  source: string;
}

const DAY = 86_400;

export const DETECTION_RULES: Readonly<Record<DetectionId, DetectionRule>> = {
  'slack.audit.mass-download': {
    rule: "file_downloaded by one actor from one context.ip_address: more than 15 within an hour (the burst, counted here), or a 24 h count above the pair's bar: 40 until it has 7 days of history with downloads on 5 of them, then the larger of 20 and twice its busiest 24 h of the previous 14 days",
    threshold: 15,
    windowSec: DAY,
    subject: 'user',
    source:
      'gopuff hunting query "max daily downloads" (>20 per user+IP in 24 h), made per-user with a burst rule (docs/detections.md)',
  },
  'slack.audit.sensitive-file-downloads': {
    rule: 'file_downloaded by one actor of a file shared in a sensitive channel (meta.sensitiveChannelIds, via files.info) or whose name matches meta.sensitiveFileNamePatterns',
    threshold: 10,
    windowSec: 14 * DAY,
    subject: 'user',
    source: 'gopuff "named-file downloads" / "Vitals" (>10 in 14 d)',
  },
  'slack.audit.filename-keyword': {
    rule: 'file_downloaded by one actor of a file whose name holds a meta.filenameKeywords entry as whole words (case-insensitive; separators and camelCase split words), excluding meta.keywordExcludedExtensions',
    threshold: 10,
    windowSec: 14 * DAY,
    subject: 'user',
    source: 'gopuff "filename keyword sniffer" (>10); 14 d window chosen here',
  },
  'slack.audit.blocked-mfa-login': {
    rule: 'user_login_failed whose details match MFA_BLOCKED_LOGIN_DETAILS (login refused because the account has no 2FA while policy requires it)',
    threshold: 0,
    windowSec: 3_600,
    subject: 'user',
    source:
      'chosen here; details shape UNVERIFIED (Slack documents no details for user_login_failed: docs/reference/slack-api.md)',
  },
  'slack.audit.failed-logins-one-ip': {
    rule: 'user_login_failed entries from one context.ip_address (any users)',
    threshold: 10,
    windowSec: 300,
    subject: 'ip',
    source: 'Sentinel "Multiple failed logins" (>10 per 5 min), keyed by IP instead of user',
  },
  'slack.audit.user-many-ips': {
    rule: "distinct networks (IPv4 /24, IPv6 /64) of one actor's entries other than user_login_failed, not counting the org's egress (meta.knownEgressIps, and addresses 5+ users signed in from on 3+ earlier days)",
    threshold: 3,
    windowSec: 7 * DAY,
    subject: 'user',
    source: 'gopuff "User w/ Multi IPs" (dcount(ip) > 3 over 7 d), counting networks instead of addresses',
  },
  'slack.audit.many-users-one-ip': {
    rule: "distinct actors with user_login from one context.ip_address that is not the org's egress: meta.knownEgressIps (the Meraki uplinks), or an address 5+ users signed in from on 3+ earlier days",
    threshold: 10,
    windowSec: DAY,
    subject: 'ip',
    source: 'gopuff "Logins via Single IP" (userPerIpThreshold = 10, declared there but never applied)',
  },
  'slack.audit.anomaly': {
    rule: "action == anomaly (Slack's own engine); one finding per entity user",
    threshold: 0,
    windowSec: 3_600,
    subject: 'user',
    source: 'Panther PassthroughAnomaly, Scanner anomaly rule',
  },
  'slack.audit.privilege-escalation': {
    rule: 'role_change_to_admin, role_change_to_owner, owner_transferred; subject is the entity user',
    threshold: 0,
    windowSec: 3_600,
    subject: 'user',
    source: 'Panther UserPrivilegeEscalation, Sentinel "User role changed to admin or owner"',
  },
  'slack.audit.archive-upload-burst': {
    rule: 'file_uploaded by one actor whose name ends with an ARCHIVE_EXTENSIONS entry',
    threshold: 10,
    windowSec: 900,
    subject: 'user',
    source: 'Sentinel "Multiple archived files uploaded" (>10 per user per 15 min)',
  },
  'slack.audit.public-link-sensitive-file': {
    rule: 'file_public_link_created where the file name holds a PUBLIC_LINK_SENSITIVE_PATTERNS entry as whole words, or ends with one of its `.ext` entries (case-insensitive)',
    threshold: 0,
    windowSec: 3_600,
    subject: 'user',
    source: 'Sentinel "Public link created for sensitive file"',
  },
  'slack.audit.empty-user-agent': {
    rule: 'entry by a user actor with an empty (or missing) context.ua',
    threshold: 0,
    windowSec: DAY,
    subject: 'user',
    source: 'Sentinel "Empty User Agent"',
  },
  'slack.audit.login-after-deactivation': {
    rule: 'user_login by a user within 24 h after a user_deactivated entry for that user',
    threshold: 0,
    windowSec: DAY,
    subject: 'user',
    source: 'Sentinel "User login after deactivated"',
  },
  'slack.audit.session-reset-burst': {
    rule: 'user_session_reset_by_admin, user_session_invalidated, bulk_session_reset_by_admin targeting one entity user',
    threshold: 60,
    windowSec: DAY,
    subject: 'user',
    source: 'Panther ApplicationDoS (60 events / 24 h, dedup per target user)',
  },
  'meraki.uplink.public-ip-change': {
    rule: 'failovers of one MX: an uplink goes from active to failed/not connected/connecting and another becomes active within 30 min (appliance uplink statuses over time), or a failover webhook alert; a new public IP on an uplink that stays active (DHCP lease renewal) is none',
    threshold: 0,
    windowSec: 1_800,
    subject: 'device',
    source:
      'gopuff Meraki public-IP dcount > 1 in 30 m (LTE failover), narrowed to real failovers (docs/reference/meraki-api.md)',
  },
};

/** Download-name keywords of the "filename keyword sniffer" (case-insensitive substrings). */
export const FILENAME_KEYWORDS: readonly string[] = [
  'password',
  'passwd',
  'confidential',
  'salary',
  'salaries',
  'payroll',
  'ssn',
  'social_security',
  'secret',
  'merger',
  'acquisition',
  'credential',
  'bank_details',
];

/** Images and video do not count for the keyword rule (a screenshot named "salary chart" is noise). */
export const KEYWORD_EXCLUDED_EXTENSIONS: readonly string[] = [
  'png',
  'jpg',
  'jpeg',
  'gif',
  'bmp',
  'heic',
  'webp',
  'svg',
  'tif',
  'tiff',
  'mp4',
  'mov',
  'avi',
  'mkv',
  'webm',
  'm4v',
];

/** Sentinel's archive list for the upload-burst rule. */
export const ARCHIVE_EXTENSIONS: readonly string[] = [
  'tar',
  'bz2',
  'gz',
  'tgz',
  'Z',
  'tbz2',
  'zst',
  'zip',
  'zipx',
  '7z',
  'rar',
  'sfx',
];

/**
 * Sentinel's "sensitive file" name list for public links, as whole words and extensions (`key`
 * alone matched `Keynote`; the rule wants keys, not words containing "key").
 */
export const PUBLIC_LINK_SENSITIVE_PATTERNS: readonly string[] = [
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'private key',
  'secret key',
  'api key',
  'apikey',
  'ssh key',
  'password',
  'passwords',
  'credentials',
  '.pem',
  '.p12',
  '.pfx',
  '.kdbx',
  '.ssh',
  '.npmrc',
  '.muttrc',
  '.gitconfig',
  '.netrc',
  '.pgpass',
  '.env',
  'config.json',
  'package.json',
  'gemfile',
  'bower.json',
  'config.gypi',
  'travis.yml',
];

/** Named files that are sensitive wherever they are shared (the seed's `gopuff_daily_vitals` case). */
export const SENSITIVE_FILE_NAME_PATTERNS: readonly string[] = ['daily_vitals'];

/** Channel names the org treats as sensitive. */
export const SENSITIVE_CHANNEL_NAMES: readonly string[] = [
  'legal',
  'finance-close',
  'hr-investigations',
  'mergers',
  'exec-staff',
];

/**
 * `details` carried by a login refused by the 2FA policy. Slack documents no details for
 * user_login_failed (docs/reference/slack-api.md, "Login failures"), so this shape is an assumption
 * kept in one place.
 */
export const MFA_BLOCKED_LOGIN_DETAILS = { reason: 'two_factor_auth_required' } as const;

export const SESSION_RESET_ACTIONS: readonly string[] = [
  'user_session_reset_by_admin',
  'user_session_invalidated',
  'bulk_session_reset_by_admin',
];

export const PRIVILEGE_ESCALATION_ACTIONS: readonly string[] = [
  'role_change_to_admin',
  'role_change_to_owner',
  'owner_transferred',
];

/** File extension as Slack's `filetype` would give it (lowercase, without the dot; '' if none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1);
}

/** A name as ` word word … ` (lowercase; separators, camelCase and digit boundaries split words). */
function wordText(name: string): string {
  const split = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Za-z])([0-9])|([0-9])([A-Za-z])/g, '$1$3 $2$4')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  return ` ${split.join(' ')} `;
}

/** Whether a name matches a pattern the way the rules read them: `.ext` as an extension, else words. */
function nameMatches(name: string, pattern: string): boolean {
  if (/^\.[a-z0-9]+$/i.test(pattern))
    return extensionOf(name).toLowerCase() === pattern.slice(1).toLowerCase() || name.toLowerCase() === pattern;
  return wordText(name).includes(wordText(pattern));
}

export function hasFilenameKeyword(name: string): boolean {
  return FILENAME_KEYWORDS.some((k) => nameMatches(name, k));
}

export function isKeywordCounted(name: string): boolean {
  return hasFilenameKeyword(name) && !KEYWORD_EXCLUDED_EXTENSIONS.includes(extensionOf(name).toLowerCase());
}

export function isArchiveName(name: string): boolean {
  return ARCHIVE_EXTENSIONS.includes(extensionOf(name));
}

export function isPublicLinkSensitiveName(name: string): boolean {
  return PUBLIC_LINK_SENSITIVE_PATTERNS.some((p) => nameMatches(name, p));
}

export function isSensitiveFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_FILE_NAME_PATTERNS.some((p) => lower.includes(p));
}
