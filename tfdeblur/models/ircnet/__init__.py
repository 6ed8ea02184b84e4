"""IRC-Net (Eboli, Sun, Ponce 2018): ADMM + iterative residual compensation unrolled, with Motion-Net."""

from tfdeblur.models.ircnet.bank_initializer import BankInitializer
from tfdeblur.models.ircnet.blind_ircnet import BlindIRCNet
from tfdeblur.models.ircnet.dual_update import DualUpdate
from tfdeblur.models.ircnet.irc_step import IRCStep
from tfdeblur.models.ircnet.ircnet import IRCNet
from tfdeblur.models.ircnet.motion_net import MotionNet, motion_to_vector, vector_to_motion
from tfdeblur.models.ircnet.nu_conv import NUConv
from tfdeblur.models.ircnet.prior_conv import PriorConv
from tfdeblur.models.ircnet.shrinkage import Shrinkage

__all__ = [
    "BankInitializer",
    "BlindIRCNet",
    "DualUpdate",
    "IRCStep",
    "IRCNet",
    "MotionNet",
    "NUConv",
    "PriorConv",
    "Shrinkage",
    "motion_to_vector",
    "vector_to_motion",
]
