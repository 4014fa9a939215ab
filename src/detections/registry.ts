/** Every detection, listed explicitly (no globbing): what is not here does not run. */
import type { Detection } from './define';
import { anomaly } from './slack/anomaly';
import { appAdded } from './slack/app-added';
import { appRemoved } from './slack/app-removed';
import { appScopesExpanded } from './slack/app-scopes-expanded';
import { archiveUploadBurst } from './slack/archive-upload-burst';
import { blockedMfaLogin } from './slack/blocked-mfa-login';
import { dlpModified } from './slack/dlp-modified';
import { ekmChanged } from './slack/ekm-changed';
import { emailChanged } from './slack/email-changed';
import { emptyUserAgent } from './slack/empty-user-agent';
import { exportDownloads } from './slack/export-downloads';
import { failedLoginsOneIp } from './slack/failed-logins-one-ip';
import { failedLoginsUser } from './slack/failed-logins-user';
import { filenameKeyword } from './slack/filename-keyword';
import { idpConfigurationChanged } from './slack/idp-configuration-changed';
import { informationBarrierModified } from './slack/information-barrier-modified';
import { intuneDisabled } from './slack/intune-disabled';
import { legalHoldModified } from './slack/legal-hold-modified';
import { loginAfterDeactivation } from './slack/login-after-deactivation';
import { maliciousFileShared } from './slack/malicious-file-shared';
import { manualExportDownloaded } from './slack/manual-export-downloaded';
import { manyUsersOneIp } from './slack/many-users-one-ip';
import { massDownload } from './slack/mass-download';
import { mfaSettingsChanged } from './slack/mfa-settings-changed';
import { orgCreated } from './slack/org-created';
import { orgDeleted } from './slack/org-deleted';
import { primaryOwnerTransferred } from './slack/primary-owner-transferred';
import { privateChannelMadePublic } from './slack/private-channel-made-public';
import { privilegeDemotion } from './slack/privilege-demotion';
import { privilegeEscalation } from './slack/privilege-escalation';
import { publicLinkSensitiveFile } from './slack/public-link-sensitive-file';
import { sensitiveFileDownloads } from './slack/sensitive-file-downloads';
import { sessionResetBurst } from './slack/session-reset-burst';
import { ssoSettingsChanged } from './slack/sso-settings-changed';
import { suspiciousDownloadExtension } from './slack/suspicious-download-extension';
import { unknownUserAgent } from './slack/unknown-user-agent';
import { userLogoutCompromised } from './slack/user-logout-compromised';
import { userManyIps } from './slack/user-many-ips';
import { cellularActiveLong } from './meraki/cellular-active-long';
import { merakiIdsAlert } from './meraki/ids-alert';
import { publicIpChange } from './meraki/public-ip-change';
import { siteOffline } from './meraki/site-offline';
import { uplinkFlapping } from './meraki/uplink-flapping';

export const DETECTIONS: readonly Detection[] = Object.freeze([
  anomaly,
  appAdded,
  appRemoved,
  appScopesExpanded,
  archiveUploadBurst,
  blockedMfaLogin,
  dlpModified,
  ekmChanged,
  emailChanged,
  emptyUserAgent,
  exportDownloads,
  failedLoginsOneIp,
  failedLoginsUser,
  filenameKeyword,
  idpConfigurationChanged,
  informationBarrierModified,
  intuneDisabled,
  legalHoldModified,
  loginAfterDeactivation,
  maliciousFileShared,
  manualExportDownloaded,
  manyUsersOneIp,
  massDownload,
  mfaSettingsChanged,
  orgCreated,
  orgDeleted,
  primaryOwnerTransferred,
  privateChannelMadePublic,
  privilegeDemotion,
  privilegeEscalation,
  publicLinkSensitiveFile,
  sensitiveFileDownloads,
  sessionResetBurst,
  ssoSettingsChanged,
  suspiciousDownloadExtension,
  unknownUserAgent,
  userLogoutCompromised,
  userManyIps,
  cellularActiveLong,
  merakiIdsAlert,
  publicIpChange,
  siteOffline,
  uplinkFlapping,
]);

export function detectionById(id: string): Detection | undefined {
  return DETECTIONS.find((d) => d.id === id);
}
