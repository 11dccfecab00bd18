// Public API of the network lab.
export { labUp, labDown, labExists, LAB_ALREADY_UP, type LabUpOptions, type LabDownOptions } from "./lab.js";
export { injectFault, healFault, listFaults, FaultRequestError, describeFault, type FaultRequest, type LabFault, type InjectResult, type HealResult, type HealOptions } from "./faults.js";
export { labStatus, type LabStatusFault, type LabStatus, type LabStatusNode, type LabStatusLink, type LabStatusLinkEnd, type LabStatusProcess, type LabStatusContainer, type LabStatusDns } from "./status.js";
export { labExec, labExecCapture, labExecArgv, type LabExecOptions, type LabExecTarget } from "./exec.js";
export { addContainer, listContainers, type LabContainerRecord } from "./containers.js";
export { setDnsRecords, removeDnsRecords, listDnsRecords, DNS_TTL_S, type DnsRecord } from "./dns.js";
export { appCgroupDir, cgroup2Mount, cairnCgroupRoot, ensureAppCgroup, ensureCgroupPath, cgroupPathDir } from "./cgroups.js";
export { PortCounter, readInterfaceCounters, type InterfaceCounters, type PortCounts } from "./counters.js";
export { interfaceName, routerInterfaceName, isisNet, HOST_UPLINK, MGMT_IFACE, SID_IFACE } from "./naming.js";
export { CONTROLLER_ADDRESS, CONTROLLER_PORT, CONTROLLER_ENDPOINT, LAB_CONTROLLER_URL, DNS_ADDRESS, DNS_PORT, LAB_DNS_SERVER } from "./endpoint.js";
export { MGMT_PREFIX, ROOT_MGMT_LINK, mgmtHostAddress } from "./mgmt.js";
export { nsName, nsPath, LAB_DIR, STATE_FILE, LOG_DIR, FRR_DIR, BPF_PIN_DIR, MGMT_NS } from "./paths.js";
export { buildPlan, type LabPlan, type PlannedRouter, type PlannedHost, type PlannedLink } from "./plan.js";
export { spawnInNamespace, processAlive, killProcesses, type SpawnOptions } from "./procs.js";
export { readState, recordPin, recordCgroup, recordProcess, type LabState, type LabProcess } from "./state.js";
export { run, tryRun, CommandError } from "./run.js";
