"""cohesix: a thin Python client over the Cohesix console and namespace semantics.

It adds no control-plane behaviour: every call is an ls/cat/tail/echo the hive already
understands, with the bounds and errors cohsh enforces (see tools/cohesix-py/README.md).
"""

from .audit import CohesixAudit
from .backends import Backend, FilesystemBackend, MockBackend, RestBackend, TcpBackend
from .client import CohesixClient, TelemetryPushResult
from .errors import CohesixError, TransportError, UncertainWriteError
from .evidence import EvidencePackSummary, TimelineSummary, export_evidence_pack, write_evidence_timeline
from .orchestration import (ApprovalRequest, CohesixOrchestrator, ControlPlan, ControlWriteResult, ExportRequest,
                            HostTicketRequest, K8sRbacIntent, LeaseRequest, PlanExecution, ScheduleRequest)
from .playbooks import (PlaybookReport, UseCasePlaybook, describe_playbooks, execute_playbook, load_playbook,
                        playbook_ids, world_class_playbooks)

__version__ = "0.9.0b0"

__all__ = [
    "ApprovalRequest", "Backend", "CohesixAudit", "CohesixClient", "CohesixError", "CohesixOrchestrator", "ControlPlan",
    "ControlWriteResult", "EvidencePackSummary", "ExportRequest", "FilesystemBackend", "HostTicketRequest", "K8sRbacIntent",
    "LeaseRequest", "MockBackend", "PlanExecution", "PlaybookReport", "RestBackend", "ScheduleRequest", "TcpBackend",
    "TelemetryPushResult", "TimelineSummary", "TransportError", "UncertainWriteError", "UseCasePlaybook", "describe_playbooks",
    "execute_playbook", "export_evidence_pack", "load_playbook", "playbook_ids", "world_class_playbooks", "write_evidence_timeline",
]
