/**
 * Static vocabularies for the generated org: names, departments, channel layout, file names, user
 * agents and address ranges. Background file names are chosen so that none contains a keyword of the
 * detection catalogue (the tests check this independently).
 */
import type { Rng } from './prng';

export const FIRST_NAMES = [
  'Ava',
  'Liam',
  'Olivia',
  'Noah',
  'Emma',
  'Mateo',
  'Sophia',
  'Lucas',
  'Isabella',
  'Ethan',
  'Mia',
  'Aiden',
  'Amara',
  'Kenji',
  'Priya',
  'Omar',
  'Chloe',
  'Diego',
  'Hannah',
  'Samuel',
  'Zoe',
  'Arjun',
  'Grace',
  'Felix',
  'Nora',
  'Tariq',
  'Elena',
  'Marcus',
  'Leah',
  'Hugo',
  'Aaliyah',
  'Daniel',
  'Ines',
  'Jonah',
  'Maya',
  'Rafael',
  'Sara',
  'Theo',
  'Yara',
  'Caleb',
  'Freya',
  'Ibrahim',
  'Julia',
  'Kofi',
  'Lena',
  'Mohammed',
  'Nadia',
  'Oscar',
  'Paula',
  'Quentin',
  'Rosa',
  'Soren',
  'Tessa',
  'Umar',
  'Vera',
  'Wen',
  'Ximena',
  'Yusuf',
  'Zara',
  'Beatriz',
];

export const LAST_NAMES = [
  'Nguyen',
  'Smith',
  'Garcia',
  'Patel',
  'Kim',
  'Johnson',
  'Okafor',
  'Müller',
  'Rossi',
  'Silva',
  'Cohen',
  'Tanaka',
  'Brown',
  'Martinez',
  'Singh',
  'Andersson',
  'Dubois',
  'Lopez',
  'Williams',
  'Khan',
  'Chen',
  'Novak',
  'Hughes',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Larsen',
  'Mensah',
  'Nakamura',
  "O'Brien",
  'Park',
  'Quinn',
  'Reyes',
  'Sato',
  'Turner',
  'Ueda',
  'Vargas',
  'Walsh',
  'Xu',
  'Yamamoto',
  'Zhang',
  'Adeyemi',
  'Bianchi',
  'Costa',
  'Dahl',
  'Evans',
  'Fischer',
  'Gomez',
  'Haddad',
  'Ito',
  'Jovanovic',
  'Kaur',
  'Lindqvist',
  'Moreau',
  'Nowak',
  'Ortiz',
];

export type Department =
  | 'engineering'
  | 'product'
  | 'design'
  | 'sales'
  | 'marketing'
  | 'support'
  | 'finance'
  | 'legal'
  | 'hr'
  | 'security'
  | 'it'
  | 'exec'
  | 'operations';

export const DEPARTMENT_WEIGHTS: readonly (readonly [Department, number])[] = [
  ['engineering', 30],
  ['product', 6],
  ['design', 4],
  ['sales', 16],
  ['marketing', 7],
  ['support', 10],
  ['finance', 5],
  ['legal', 3],
  ['hr', 3],
  ['security', 3],
  ['it', 3],
  ['exec', 2],
  ['operations', 8],
];

export const TITLES: Readonly<Record<Department, readonly string[]>> = {
  engineering: ['Software Engineer', 'Senior Software Engineer', 'Staff Engineer', 'Engineering Manager', 'SRE'],
  product: ['Product Manager', 'Senior Product Manager'],
  design: ['Product Designer', 'UX Researcher'],
  sales: ['Account Executive', 'Sales Development Rep', 'Sales Manager'],
  marketing: ['Marketing Manager', 'Content Strategist'],
  support: ['Support Specialist', 'Support Lead'],
  finance: ['Financial Analyst', 'Controller', 'Accountant'],
  legal: ['Counsel', 'Paralegal'],
  hr: ['People Partner', 'Recruiter'],
  security: ['Security Engineer', 'Security Analyst'],
  it: ['IT Administrator', 'IT Support Engineer'],
  exec: ['Chief Executive Officer', 'Chief Financial Officer', 'Chief Operating Officer', 'VP Engineering'],
  operations: ['Operations Coordinator', 'Warehouse Lead', 'Logistics Analyst'],
};

export interface WorkspaceSpec {
  key: 'hq' | 'eng' | 'gtm';
  name: string;
  domain: string;
  departments: readonly Department[] | 'all';
}

export const WORKSPACES: readonly WorkspaceSpec[] = [
  { key: 'hq', name: 'Acme HQ', domain: 'acme-hq', departments: 'all' },
  {
    key: 'eng',
    name: 'Acme Engineering',
    domain: 'acme-eng',
    departments: ['engineering', 'product', 'design', 'security', 'it'],
  },
  { key: 'gtm', name: 'Acme Go-To-Market', domain: 'acme-gtm', departments: ['sales', 'marketing', 'support', 'exec'] },
];

export interface ChannelSpec {
  workspace: WorkspaceSpec['key'];
  name: string;
  private: boolean;
  /** Who is a member: everyone in the workspace, or these departments. */
  members: 'all' | readonly Department[];
  purpose: string;
  /** File name stems for files shared here. */
  files: readonly string[];
}

const GENERIC_FILES = ['Team offsite agenda', 'Holiday calendar', 'Org chart', 'Weekly update', 'Meeting notes'];

export const CHANNELS: readonly ChannelSpec[] = [
  {
    workspace: 'hq',
    name: 'general',
    private: false,
    members: 'all',
    purpose: 'Company-wide announcements and work-based matters',
    files: ['All hands slides', 'Benefits overview', 'Office map', 'Secretary rota', ...GENERIC_FILES],
  },
  {
    workspace: 'hq',
    name: 'random',
    private: false,
    members: 'all',
    purpose: 'Non-work banter',
    files: ['Lunch menu', 'Team photo', 'Book club list'],
  },
  {
    workspace: 'hq',
    name: 'announcements',
    private: false,
    members: 'all',
    purpose: 'Official announcements',
    files: ['Quarterly update', 'Travel policy', 'Expense policy'],
  },
  {
    workspace: 'hq',
    name: 'it-help',
    private: false,
    members: 'all',
    purpose: 'Ask IT',
    files: ['Laptop setup guide', 'VPN setup guide', 'Printer instructions', 'Passwordless sign-in rollout'],
  },
  {
    workspace: 'hq',
    name: 'security-ops',
    private: true,
    members: ['security', 'it'],
    purpose: 'Security responders',
    files: ['Incident runbook', 'Phishing report template', 'Access review checklist'],
  },
  {
    workspace: 'hq',
    name: 'oncall',
    private: false,
    members: ['security', 'it', 'engineering'],
    purpose: 'Who is on call',
    files: ['Oncall rotation', 'Escalation matrix'],
  },
  {
    workspace: 'hq',
    name: 'people-team',
    private: false,
    members: ['hr'],
    purpose: 'People team',
    files: ['Onboarding plan', 'Interview rubric', 'Review cycle timeline'],
  },
  {
    workspace: 'hq',
    name: 'ops-logistics',
    private: false,
    members: ['operations', 'exec'],
    purpose: 'Operations',
    files: ['Delivery zones', 'Shift schedule', 'Carrier scorecard', 'Inventory forecast'],
  },
  {
    workspace: 'hq',
    name: 'legal',
    private: true,
    members: ['legal', 'exec'],
    purpose: 'Legal team',
    files: ['NDA Northwind', 'Vendor MSA redline', 'Trademark filing', 'Litigation hold notice', 'DPA template'],
  },
  {
    workspace: 'hq',
    name: 'finance-close',
    private: true,
    members: ['finance', 'exec'],
    purpose: 'Month-end close',
    files: [
      'Q3 close checklist',
      'Accruals workbook',
      'Revenue reconciliation',
      'Board metrics',
      'Cash forecast',
      'acme_daily_vitals',
    ],
  },
  {
    workspace: 'hq',
    name: 'hr-investigations',
    private: true,
    members: ['hr'],
    purpose: 'Employee relations cases',
    files: ['Case 114 interview notes', 'Case 117 timeline', 'Witness statement summary', 'Investigation report draft'],
  },
  {
    workspace: 'hq',
    name: 'mergers',
    private: true,
    members: ['exec', 'legal'],
    purpose: 'Corporate development',
    files: [
      'Project Falcon term sheet',
      'Project Falcon diligence tracker',
      'Target shortlist',
      'Integration plan draft',
    ],
  },
  {
    workspace: 'hq',
    name: 'exec-staff',
    private: true,
    members: ['exec'],
    purpose: 'Leadership team',
    files: ['Board deck draft', 'Headcount plan', 'Offsite agenda'],
  },
  {
    workspace: 'eng',
    name: 'general',
    private: false,
    members: 'all',
    purpose: 'Engineering-wide',
    files: ['Architecture overview', 'Tech radar', 'Engineering ladder'],
  },
  {
    workspace: 'eng',
    name: 'eng-backend',
    private: false,
    members: ['engineering'],
    purpose: 'Backend',
    files: [
      'API design review',
      'Database migration plan',
      'Latency dashboard export',
      'Load test results',
      'Service catalog',
      // Engineers share scripts and config: ordinary for them (docs/detections.md).
      'deploy.sh',
      'migrate_orders.py',
      'docker-compose.yml',
      'seed_data.sql',
    ],
  },
  {
    workspace: 'eng',
    name: 'eng-frontend',
    private: false,
    members: ['engineering', 'design'],
    purpose: 'Frontend',
    files: ['Design system tokens', 'Bundle size report', 'Accessibility audit'],
  },
  {
    workspace: 'eng',
    name: 'incidents',
    private: false,
    members: ['engineering', 'security', 'it'],
    purpose: 'Production incidents',
    files: ['Postmortem checkout outage', 'Postmortem search latency', 'Incident timeline', 'Lessons learned'],
  },
  {
    workspace: 'eng',
    name: 'deploys',
    private: false,
    members: ['engineering'],
    purpose: 'Deploy notifications',
    files: ['Release notes', 'Rollback procedure', 'rollback.sh', 'webpack.config.js', 'main.tf'],
  },
  {
    workspace: 'eng',
    name: 'product-design',
    private: false,
    members: ['product', 'design', 'engineering'],
    purpose: 'Product and design',
    files: ['Roadmap H2', 'User research synthesis', 'Checkout flow mockups', 'PRD order tracking'],
  },
  {
    workspace: 'gtm',
    name: 'general',
    private: false,
    members: 'all',
    purpose: 'Go-to-market',
    files: ['Sales playbook', 'Pricing sheet', 'Competitive overview'],
  },
  {
    workspace: 'gtm',
    name: 'sales-deals',
    private: false,
    members: ['sales', 'exec'],
    purpose: 'Deal desk',
    files: ['Pipeline review', 'Quote template', 'Deal review Contoso', 'Territory plan'],
  },
  {
    workspace: 'gtm',
    name: 'customer-success',
    private: false,
    members: ['support', 'sales'],
    purpose: 'Customer success',
    files: ['Renewal tracker', 'Customer health scores', 'Support macros', 'Escalation log'],
  },
  {
    workspace: 'gtm',
    name: 'marketing',
    private: false,
    members: ['marketing', 'sales'],
    purpose: 'Marketing',
    files: ['Campaign calendar', 'Brand guidelines', 'Webinar deck', 'Launch plan'],
  },
];

export interface FileTypeSpec {
  ext: string;
  filetype: string;
  mimetype: string;
  pretty: string;
  minKb: number;
  maxKb: number;
}

export const FILE_TYPES: Readonly<Record<string, FileTypeSpec>> = {
  pdf: { ext: 'pdf', filetype: 'pdf', mimetype: 'application/pdf', pretty: 'PDF', minKb: 40, maxKb: 6000 },
  docx: {
    ext: 'docx',
    filetype: 'docx',
    mimetype: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    pretty: 'Word Document',
    minKb: 20,
    maxKb: 900,
  },
  xlsx: {
    ext: 'xlsx',
    filetype: 'xlsx',
    mimetype: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    pretty: 'Excel Spreadsheet',
    minKb: 15,
    maxKb: 4000,
  },
  pptx: {
    ext: 'pptx',
    filetype: 'pptx',
    mimetype: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    pretty: 'PowerPoint Presentation',
    minKb: 300,
    maxKb: 25000,
  },
  csv: { ext: 'csv', filetype: 'csv', mimetype: 'text/csv', pretty: 'CSV', minKb: 2, maxKb: 3000 },
  txt: { ext: 'txt', filetype: 'text', mimetype: 'text/plain', pretty: 'Plain Text', minKb: 1, maxKb: 80 },
  png: { ext: 'png', filetype: 'png', mimetype: 'image/png', pretty: 'PNG', minKb: 50, maxKb: 3000 },
  jpg: { ext: 'jpg', filetype: 'jpg', mimetype: 'image/jpeg', pretty: 'JPEG', minKb: 80, maxKb: 5000 },
  mp4: { ext: 'mp4', filetype: 'mp4', mimetype: 'video/mp4', pretty: 'MPEG 4 Video', minKb: 2000, maxKb: 90000 },
  zip: { ext: 'zip', filetype: 'zip', mimetype: 'application/zip', pretty: 'Zip', minKb: 100, maxKb: 50000 },
  '7z': { ext: '7z', filetype: '7z', mimetype: 'application/x-7z-compressed', pretty: '7z', minKb: 100, maxKb: 50000 },
  gz: { ext: 'gz', filetype: 'gzip', mimetype: 'application/gzip', pretty: 'GZip', minKb: 100, maxKb: 50000 },
  json: { ext: 'json', filetype: 'json', mimetype: 'application/json', pretty: 'JSON', minKb: 1, maxKb: 40 },
  sh: { ext: 'sh', filetype: 'shell', mimetype: 'text/x-sh', pretty: 'Shell', minKb: 1, maxKb: 20 },
  js: { ext: 'js', filetype: 'javascript', mimetype: 'text/javascript', pretty: 'JavaScript', minKb: 1, maxKb: 30 },
  py: { ext: 'py', filetype: 'python', mimetype: 'text/x-python', pretty: 'Python', minKb: 1, maxKb: 40 },
  yml: { ext: 'yml', filetype: 'yaml', mimetype: 'application/yaml', pretty: 'YAML', minKb: 1, maxKb: 10 },
  sql: { ext: 'sql', filetype: 'sql', mimetype: 'application/sql', pretty: 'SQL', minKb: 1, maxKb: 60 },
  tf: { ext: 'tf', filetype: 'text', mimetype: 'text/plain', pretty: 'Plain Text', minKb: 1, maxKb: 15 },
  none: { ext: '', filetype: 'text', mimetype: 'text/plain', pretty: 'Plain Text', minKb: 1, maxKb: 8 },
};

export const DOCUMENT_EXTS = ['pdf', 'docx', 'xlsx', 'pptx', 'csv', 'txt', 'png', 'jpg'] as const;

/** Names for background uploads (stems; an extension is added). */
export const UPLOAD_STEMS = [
  'Screenshot',
  'Notes from call',
  'Draft',
  'Updated numbers',
  'Whiteboard photo',
  'Agenda',
  'Proposal',
  'Summary',
  'Feedback',
  'Status report',
  'Timeline',
  'Diagram',
  'Checklist',
  'Export',
  'Minutes',
];

/** Snippets engineers upload (full names: code and config). */
export const CODE_UPLOADS = [
  'fix_timezones.py',
  'backfill_orders.sql',
  'healthcheck.sh',
  'jest.config.js',
  'values.yml',
  'repro.py',
] as const;

/** Names for benign public links (checked against the sensitive-name list in tests). */
export const PUBLIC_LINK_STEMS = [
  'Webinar deck',
  'Event flyer',
  'Press photo',
  'Product one-pager',
  'Careers brochure',
  // Look like sensitive names to a substring match, and are not (docs/detections.md).
  'Keynote template',
  'Monkey mascot stickers',
];

export interface UaSpec {
  ua: string;
  hardware: string;
  os: string;
  osVersion: string;
  client: string;
}

export const DESKTOP_UAS: readonly UaSpec[] = [
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonic Slack_SSB/4.41.105',
    hardware: 'Mac',
    os: 'Mac OS X',
    osVersion: '14.6.1',
    client: '4.41.105',
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonic Slack_SSB/4.41.105',
    hardware: 'PC',
    os: 'Windows',
    osVersion: '10.0.22631',
    client: '4.41.105',
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.40.128 Chrome/128.0.6613.186 Electron/32.2.5 Safari/537.36 Sonic Slack_SSB/4.40.128',
    hardware: 'Mac',
    os: 'Mac OS X',
    osVersion: '13.6.9',
    client: '4.40.128',
  },
  {
    ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonic Slack_SSB/4.41.105',
    hardware: 'PC',
    os: 'Linux',
    osVersion: '6.8.0',
    client: '4.41.105',
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    hardware: 'Browser',
    os: 'Windows',
    osVersion: '10',
    client: 'web',
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
    hardware: 'Browser',
    os: 'Mac OS X',
    osVersion: '14.6',
    client: 'web',
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    hardware: 'Browser',
    os: 'Windows',
    osVersion: '10',
    client: 'web',
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    hardware: 'Browser',
    os: 'Windows',
    osVersion: '10',
    client: 'web',
  },
];

export const MOBILE_UAS: readonly UaSpec[] = [
  {
    ua: 'com.tinyspeck.chatlyio/24.11.10 (iPhone; iOS 18.1; Scale/3.00)',
    hardware: 'iPhone',
    os: 'iOS',
    osVersion: '18.1',
    client: '24.11.10',
  },
  {
    ua: 'com.tinyspeck.chatlyio/24.10.20 (iPhone; iOS 17.6.1; Scale/3.00)',
    hardware: 'iPhone',
    os: 'iOS',
    osVersion: '17.6.1',
    client: '24.10.20',
  },
  {
    ua: 'Slack/24.11.10.0 (Pixel 8; Android 15; com.Slack)',
    hardware: 'Pixel 8',
    os: 'Android',
    osVersion: '15',
    client: '24.11.10.0',
  },
  {
    ua: 'Slack/24.10.20.0 (SM-S921B; Android 14; com.Slack)',
    hardware: 'SM-S921B',
    os: 'Android',
    osVersion: '14',
    client: '24.10.20.0',
  },
];

/**
 * The desktop app's next release, which installs itself: same family, new version (the updated
 * agent replaces the old one from the day of the update on).
 */
export function updatedDesktop(ua: UaSpec): UaSpec | null {
  if (!ua.ua.includes('Slack/4.41.105') && !ua.ua.includes('Slack/4.40.128')) return null;
  const next = '4.42.117';
  return {
    ...ua,
    ua: ua.ua
      .replace(/Slack(_SSB)?\/4\.4[01]\.\d+/g, (m) => m.replace(/4\.4[01]\.\d+/, next))
      .replace(/Chrome\/\d+[.\d]*/, 'Chrome/132.0.6834.83'),
    client: next,
  };
}

/** Tooling user agents seen in incidents (never in background). */
export const TOOL_UAS = {
  python: 'python-requests/2.32.3',
  curl: 'curl/8.7.1',
  headless:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
} as const;

/** Residential / mobile / hosting prefixes, first octets that look like real ISP space. */
const HOME_V4_PREFIXES = ['73.', '98.', '24.', '71.', '67.', '76.', '108.', '174.', '86.', '81.', '92.'];
const MOBILE_V4_PREFIXES = ['172.56.', '172.58.', '107.77.', '166.205.', '174.205.'];
const HOSTING_V4_PREFIXES = ['45.134.', '185.220.', '5.188.', '194.26.', '91.92.', '103.75.', '146.70.', '37.120.'];

export function homeIp(rng: Rng): string {
  if (rng.chance(0.12)) {
    return `2601:${rng.hex(3)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}`.replace(
      /:0+(?=[0-9a-f])/g,
      ':',
    );
  }
  const p = rng.pick(HOME_V4_PREFIXES);
  return `${p}${rng.int(1, 254)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

export function mobileIp(rng: Rng): string {
  if (rng.chance(0.2)) {
    return `2607:fb90:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}:${rng.hex(4)}`.replace(
      /:0+(?=[0-9a-f])/g,
      ':',
    );
  }
  const p = rng.pick(MOBILE_V4_PREFIXES);
  return p.split('.').length === 3 ? `${p}${rng.int(0, 255)}.${rng.int(1, 254)}` : `${p}${rng.int(1, 254)}`;
}

export function hostingIp(rng: Rng): string {
  return `${rng.pick(HOSTING_V4_PREFIXES)}${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

export function mac(rng: Rng, oui: string): string {
  return `${oui}:${rng.hex(2)}:${rng.hex(2)}:${rng.hex(2)}`;
}

export const SLACK_COLORS = [
  '9f69e7',
  '4bbe2e',
  'e7392d',
  '3c989f',
  'e0a729',
  '684b6c',
  '5b89d5',
  'c386df',
  'd58247',
  '53b759',
];
