"""Model families: one subpackage each (idc, selfdeblur, odcnn, ircnet)."""
